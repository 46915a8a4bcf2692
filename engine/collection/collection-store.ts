import type { Encoder } from "../../encoder/index.js";
import { nodeFileSystem, type FileSystem } from "../../storage/file-system.js";
import type { DirectoryLock } from "../../storage/lock-file.js";
import { packValue, unpackValue } from "../../storage/msgpack.js";
import { WAL_RECORD_HEADER_BYTES } from "../../storage/wal-format.js";
import { WalWriter, type Durability } from "../../storage/wal-writer.js";
import { SparseDbError } from "../errors.js";
import { compileFilter, type Filter } from "../filter.js";
import type { DocumentInput, ScrollPage, ScrollRequest, SearchHits, SearchRequest } from "../requests.js";
import { SparseVector } from "../sparse-vector.js";
import { vectorForMetric, type Metric } from "../similarity-metric.js";
import { checkDelete, checkFilter, checkGetMany, checkId, checkMetadataPatch, checkSearch, checkUpsert, checkVector, MAX_K, type CheckedInclude, type CheckedSearch, type RequestContext } from "../validate-request.js";
import { countMatching, matchingIds } from "./live-scan.js";
import { mergeMetadata } from "./metadata-patch.js";
import { WriteOrder } from "./write-order.js";
import { applyDelete, applyUpsert } from "./apply-writes.js";
import { BulkLoader, bulkSegmentLimits, type BulkLoadProgress } from "./bulk-loader.js";
import { NO_LENGTH } from "./corpus-statistics.js";
import { walFileName } from "./directory-files.js";
import { Flusher } from "./flusher.js";
import { LiveState } from "./live-state.js";
import { MergeScheduler } from "./merge-scheduler.js";
import { DEFAULT_MERGE_POLICY, type MergePolicyOptions } from "./merge-policy.js";
import { openCollectionState, type WalRepair } from "./recovery.js";
import { SegmentBuildService } from "./segment-build-service.js";
import { SegmentSet } from "./segment-set.js";
import type { Snapshot } from "./snapshot.js";
import { searchSnapshot, type SnapshotSearchOptions } from "./snapshot-search.js";
import { searchSnapshotParallel, segmentSearchPool } from "./parallel-search.js";
import { scrollSnapshot } from "./scroll-snapshot.js";
import { checkScroll, encodeCursor } from "../scroll-request.js";
import { verifyCollectionFiles, type CollectionCheck } from "./verify-collection.js";
import { encodeDelete, encodeUpsertRecord, RECORD_DELETE, type StoredDoc } from "./wal-records.js";
import { WriteLog } from "./write-log.js";
import { RecentQueries } from "../search/recent-queries.js";
import { SAMPLE_QUERIES } from "../search/approximate-calibration.js";
import { checkDenseConfig, type DenseConfig, type DenseConfigInput } from "../dense/dense-config.js";
import { loadUsearch } from "../dense/usearch-module.js";
import { denseForMetric } from "../dense/dense-input.js";
import type { LiveDocument } from "./live-state.js";
import { hybridSearchSnapshot } from "./hybrid-search.js";
import { loadDenseIndexes } from "./dense-snapshot-search.js";
import { defaultPrefetch } from "../hybrid-search-options.js";

export type { WalRepair } from "./recovery.js";
export type { BulkLoadProgress } from "./bulk-loader.js";
export { BULK_SEGMENT_MAX_DOCS, BULK_SEGMENT_POSTINGS } from "./bulk-loader.js";
export type { Durability } from "../../storage/wal-writer.js";

export interface CollectionOptions {
  /** Impact width for new collections (an existing one keeps its own); 8 by default. */
  bits?: number;
  /** "always" (default): an upsert resolves once fsynced. "batch": fsync every batchIntervalMs. "off": never fsync. */
  durability?: Durability;
  batchIntervalMs?: number;
  /** The memtable flushes into a segment at this many documents; 20,000 by default. */
  memtableMaxDocs?: number;
  /**
   * "cosine": document vectors are scaled to unit length before they are logged (so the log,
   * the memtable and the segments all hold the scaled vector, and replay applies it as it is),
   * queries when they are searched. "dot" by default. A collection keeps the metric it was
   * created with: the database persists it in the collection's config.
   */
  metric?: Metric;
  /** Turns `text` into vectors (upsert) and queries (search). */
  encoder?: Encoder;
  /** The file-system layer; tests pass a FaultInjectingFileSystem. */
  fs?: FileSystem;
  /** Create the directory and an empty collection if missing; false by default. */
  create?: boolean;
  /**
   * Open even if a write-ahead log is damaged (a bad record with valid records after it), keeping
   * the records before the damage and dropping the rest; `walRepairs` in stats() says what was
   * dropped. Without it such a collection refuses to open with CORRUPTION. False by default.
   */
  repairWal?: boolean;
  /** Background merges after flushes; true by default. */
  autoMerge?: boolean;
  mergePolicy?: Partial<MergePolicyOptions>;
  /**
   * Keep each text upsert's text (get returns it, search hits on request). By default on when
   * the collection has an encoder (a text collection), off without one (vectors only).
   */
  storeText?: boolean;
  /**
   * The collection's dense vectors (engine/dense/dense-config.ts): documents may then carry
   * `dense`, and searches a dense query. Absent: none (a dense vector is refused). Like the
   * metric, the database persists it in the collection's config.
   */
  dense?: DenseConfigInput;
}

export interface CollectionStats {
  docs: number;
  segments: number;
  memtableDocs: number;
  /** Postings stored, deleted documents' included until a merge reclaims them. */
  postings: number;
  deletedDocs: number;
  /** Segment files plus the live write-ahead log. */
  diskBytes: number;
  walBytes: number;
  /** In-memory bytes of the segments' inverted and forward indexes. */
  indexBytes: number;
  bits: number;
  durability: Durability;
  metric: Metric;
  mergeRunning: boolean;
  manifestGeneration: number;
  /** The last error of a background flush or merge, if any (the write that caused it was durable in the log). */
  backgroundError: string | null;
  /** Live documents stored with a length (BM25's N) and their total length; see corpusStatistics(). */
  corpus: { docs: number; totalLength: number };
  /** What opening with repairWal dropped from damaged logs (empty when nothing was repaired). */
  walRepairs: WalRepair[];
  /** Whether text upserts keep their text (the storeText option). */
  storeText: boolean;
  /** The dense vectors' config, or null when the collection has none. */
  dense: DenseConfig | null;
  /** Live documents that have a dense vector. */
  denseDocs: number;
}

/**
 * A durable collection of sparse vectors in one directory: a write-ahead log, a memtable, immutable
 * segment files with deletion bitsets, and a manifest naming them (storage/FORMAT.md). Internal:
 * the public Collection (engine/collection.ts) stands on it.
 *
 * One writer (this object, guarded by a LOCK file), many concurrent readers. This class is the
 * facade over the parts that do the work, as in LevelDB:
 * - `LiveState` (live-state.ts): memtables, segments and corpus statistics in memory, changed
 *   only through apply-writes.ts, the functions log replay uses too;
 * - `WriteLog` (write-log.ts): the write-ahead logs; every write is appended there first;
 * - `SegmentSet` (segment-set.ts): the one writer of segment, deletion and manifest files; every
 *   state change on disk is one of its manifest commits, serialized by its lock;
 * - `Flusher` (flusher.ts): memtable -> segment; `MergeScheduler` (merge-scheduler.ts): tiered
 *   background merges.
 */
export class CollectionStore {
  private readonly builds: SegmentBuildService;
  /** Approximate mode's calibration samples these once it has enough (approximate-calibration.ts). */
  private readonly recentQueries = new RecentQueries(SAMPLE_QUERIES);
  private readonly flusher: Flusher;
  private readonly merges: MergeScheduler;
  private closing = false;
  /** The bulk load in progress (writes wait for it), and the error a failed one left. */
  private bulkLoading: Promise<void> | null = null;
  private bulkFailure: unknown = null;
  private readonly writesInFlight = new Set<Promise<unknown>>();
  /** Orders setMetadata and delete({filter}) (read, then log) with every other write (write-order.ts). */
  private readonly order = new WriteOrder();
  private closed = false;
  private backgroundError: unknown = null;
  /** Undoes the encoder's attachment to this collection's statistics (on close). */
  private readonly detachEncoder: () => void;

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly lock: DirectoryLock,
    private readonly live: LiveState,
    private readonly log: WriteLog,
    private readonly segmentSet: SegmentSet,
    private readonly options: Required<Pick<CollectionOptions, "memtableMaxDocs" | "autoMerge" | "durability" | "batchIntervalMs" | "storeText" | "metric">> & {
      encoder?: Encoder;
      dense: DenseConfig | null;
    },
    policy: MergePolicyOptions,
    private readonly walRepairs: WalRepair[] = [],
  ) {
    this.builds = new SegmentBuildService(undefined, options.dense?.index === "hnsw" ? options.dense.metric : null);
    this.merges = new MergeScheduler(live, log, segmentSet, this.builds, policy, options.autoMerge, {
      onBackgroundError: (e) => (this.backgroundError = e),
      hasBackgroundError: () => this.backgroundError !== null,
      isClosing: () => this.closing,
      isClosed: () => this.closed,
    });
    this.flusher = new Flusher(live, log, segmentSet, this.builds, options.memtableMaxDocs, {
      onBackgroundResult: (e) => (this.backgroundError = e),
      afterFlush: () => this.merges.schedule(),
      isClosing: () => this.closing,
    });
    this.detachEncoder = options.encoder?.corpus?.attach(live.statistics) ?? (() => undefined);
  }

  /**
   * Opens (or with `create: true`, creates) the collection in `dir`: takes the lock, loads the
   * segments the manifest names (verifying every checksum), removes files no manifest names,
   * replays the write-ahead logs, and starts a new log.
   */
  static async open(dir: string, options: CollectionOptions = {}): Promise<CollectionStore> {
    const fs = options.fs ?? nodeFileSystem;
    const durability = options.durability ?? "always";
    if (!["always", "batch", "off"].includes(durability)) {
      throw new SparseDbError("INVALID_ARGUMENT", `durability must be "always", "batch" or "off", got ${JSON.stringify(durability)}`);
    }
    const batchIntervalMs = options.batchIntervalMs ?? 10;
    const metric = options.metric ?? "dot";
    if (metric !== "dot" && metric !== "cosine") {
      throw new SparseDbError("INVALID_ARGUMENT", `metric must be "dot" or "cosine", got ${JSON.stringify(metric)}`);
    }
    const memtableMaxDocs = options.memtableMaxDocs ?? 20_000;
    if (!Number.isInteger(memtableMaxDocs) || memtableMaxDocs < 1) {
      throw new SparseDbError("INVALID_ARGUMENT", `memtableMaxDocs must be a positive integer, got ${memtableMaxDocs}`);
    }
    if (options.storeText !== undefined && typeof options.storeText !== "boolean") {
      throw new SparseDbError("INVALID_ARGUMENT", `storeText must be a boolean, got ${typeof options.storeText}`);
    }
    const dense = options.dense === undefined || options.dense === null ? null : checkDenseConfig(options.dense);
    if (dense?.index === "hnsw") await loadUsearch(); // UNAVAILABLE, saying what to install, before anything is opened
    const state = await openCollectionState(fs, dir, {
      create: options.create ?? false,
      bits: options.bits ?? 8,
      vocabSize: options.encoder?.vocabulary.size,
      repairWal: options.repairWal === true,
    });
    try {
      checkDenseDims(dense, state.segments.map((s) => s.reader.dense?.dims ?? 0), [...state.memtable.values()].map((d) => d.dense?.length ?? 0));
    } catch (e) {
      await state.lock.release();
      throw e;
    }
    const walNumber = state.nextFileNumber;
    let wal: WalWriter;
    try {
      wal = await WalWriter.create(fs, dir, `${dir}/${walFileName(walNumber)}`, durability, batchIntervalMs);
    } catch (e) {
      await state.lock.release();
      throw e;
    }
    let c: CollectionStore;
    try {
      const live = new LiveState(state.memtable, state.segments, state.statistics);
      const log = new WriteLog(fs, dir, wal, walNumber, [...state.replayedLogs, walNumber], durability, batchIntervalMs);
      const segmentSet = new SegmentSet(fs, dir, state.manifest, walNumber + 1);
      // Throws when the encoder already serves another open collection (corpus.attach).
      c = new CollectionStore(dir, fs, state.lock, live, log, segmentSet, {
        memtableMaxDocs,
        autoMerge: options.autoMerge ?? true,
        durability,
        batchIntervalMs,
        metric,
        encoder: options.encoder,
        storeText: options.storeText ?? options.encoder !== undefined,
        dense,
      }, { ...DEFAULT_MERGE_POLICY, ...options.mergePolicy }, state.walRepairs);
    } catch (e) {
      await wal.close().catch(() => undefined);
      await state.lock.release();
      throw e;
    }
    c.merges.schedule();
    return c;
  }

  get bits(): number {
    return this.segmentSet.bits;
  }

  get vocabSize(): number {
    return this.segmentSet.vocabSize;
  }

  get metric(): Metric {
    return this.options.metric;
  }

  /** The dense vectors' config, or null. */
  get dense(): DenseConfig | null {
    return this.options.dense;
  }

  // ---------------------------------------------------------------- writes

  /** Inserts or replaces documents by id. Resolves when durable (per the mode); searchable at once then. */
  async upsert(docs: DocumentInput[]): Promise<void> {
    while (this.bulkLoading) await this.bulkLoading; // checked and tracked in one synchronous step
    this.checkOpen();
    return this.tracked(this.upsertNow(docs));
  }

  private async upsertNow(docs: DocumentInput[]): Promise<void> {
    const stored = await this.storedDocs(docs);
    if (stored.length === 0) return;
    while (this.order.closed) await this.order.opened(); // then append at once (write-order.ts)
    await this.appendUpsert(stored);
  }

  /** Logs an upsert record and applies it; issues the append before its first await. */
  private async appendUpsert(stored: StoredDoc[]): Promise<void> {
    const { type, payload } = encodeUpsertRecord(stored, WAL_RECORD_HEADER_BYTES);
    await this.log.append(type, payload, () => {
      for (const d of stored) applyUpsert(this.live, d);
    }, true, () => this.checkOpen());
    this.flusher.maybeFlush();
    await this.flusher.backpressure();
  }

  /**
   * Loads documents straight into segments, bypassing the write-ahead log (bulk-loader.ts): every
   * `segmentDocs` documents become a segment, committed with the manifest; without `segmentDocs`,
   * segments are sized by a memory budget instead (bulkSegmentLimits: up to 2^24 postings or
   * 500,000 documents each, so a load leaves few large segments and a search right after it
   * does not pay per-segment costs many times over); `segmentPostings` sets that budget.
   * `onCommit` reports the count durable so far after each commit. An id already in
   * the collection (or earlier in the stream) is replaced, as by upsert. Other writes wait until
   * the load ends; searches go on and see each committed segment. Resolves to the number of
   * documents loaded. After a failure the collection must be closed and opened again (it then
   * holds everything reported by onCommit).
   */
  async bulkLoad(docs: AsyncIterable<DocumentInput>, options: { segmentDocs?: number; segmentPostings?: number; onCommit?: (p: BulkLoadProgress) => void } = {}): Promise<number> {
    while (this.bulkLoading) await this.bulkLoading;
    this.checkOpen();
    const limits = bulkSegmentLimits(options);
    const loader = new BulkLoader(this.live, this.log, this.segmentSet, this.builds, options.onCommit ?? (() => undefined));
    let release!: () => void;
    this.bulkLoading = new Promise<void>((r) => (release = r));
    try {
      // No log record may be newer than a bulk segment: let the writes under way land, then
      // commit the memtable.
      await Promise.allSettled([...this.writesInFlight]);
      await this.idle();
      await this.segmentSet.serialized(() => this.flusher.flushLocked({ retireLog: true }));
      await loader.load(this.storedBatches(docs, limits));
    } catch (e) {
      this.bulkFailure = e;
      throw e;
    } finally {
      this.bulkLoading = null;
      release();
      // (Not after a failure: a merge's commit would persist what the failed load changed in memory.)
      if (this.bulkFailure === null) this.merges.schedule();
    }
    return loader.committedDocs;
  }

  /**
   * `docs` in stored form, one batch per segment: `limits.docs` documents, or fewer once they
   * hold `limits.postings` postings (checked and encoded in chunks of up to 1024).
   */
  private async *storedBatches(docs: AsyncIterable<DocumentInput>, limits: { docs: number; postings: number }): AsyncGenerator<StoredDoc[]> {
    let batch: StoredDoc[] = [];
    let postings = 0;
    let chunk: DocumentInput[] = [];
    function* add(stored: StoredDoc[]): Generator<StoredDoc[]> {
      for (const s of stored) {
        batch.push(s);
        postings += s.terms.length;
        if (batch.length >= limits.docs || postings >= limits.postings) {
          yield batch;
          batch = [];
          postings = 0;
        }
      }
    }
    for await (const d of docs) {
      chunk.push(d);
      if (chunk.length < 1024 && batch.length + chunk.length < limits.docs) continue;
      yield* add(await this.storedDocs(chunk));
      chunk = [];
    }
    yield* add(await this.storedDocs(chunk));
    if (batch.length > 0) yield batch;
  }

  /** Checks documents and turns them into their stored form (encoding texts). */
  private async storedDocs(docs: DocumentInput[]): Promise<StoredDoc[]> {
    this.checkOpen();
    const checked = checkUpsert(docs, this.requestContext());
    if (checked.length === 0) return [];
    const vectors: (SparseVector | null)[] = checked.map((d, i) => {
      if (d.vector !== undefined) return d.vector;
      if (d.text === undefined) return SparseVector.empty(); // a document with only a dense vector
      if (!this.options.encoder) {
        throw new SparseDbError("INVALID_ARGUMENT", `document ${i} (id ${JSON.stringify(d.id)}) has text but the collection has no encoder; pass vectors or open it with an encoder`);
      }
      return null;
    });
    const textIdx = vectors.flatMap((v, i) => (v === null ? [i] : []));
    // A document's length for the corpus statistics, when its encoder measures one (BM25).
    const lengths = new Array<number>(checked.length).fill(NO_LENGTH);
    if (textIdx.length > 0) {
      const encoder = this.options.encoder!;
      const texts = textIdx.map((i) => checked[i]!.text!);
      const encoded = encoder.corpus ? await encoder.corpus.encodeDocumentsWithLengths(texts) : { vectors: await encoder.encodeDocuments(texts), lengths: null };
      textIdx.forEach((docIndex, j) => {
        vectors[docIndex] = checkVector(encoded.vectors[j]!, "document", `document ${docIndex}`, { vocabSize: this.vocabSize });
        if (encoded.lengths !== null) lengths[docIndex] = checkLength(encoded.lengths[j], docIndex);
      });
    }
    const keepText = this.options.storeText;
    // The stored (and logged) form is the metric's: replay and merges take it as it is, never
    // scaling twice (a float32 unit vector scaled again may change in its last bits).
    const metric = this.options.metric;
    const dense = this.options.dense;
    return checked.map((d, i) => {
      const doc: StoredDoc = {
        id: d.id,
        ...termsAndWeights(vectorForMetric(vectors[i]!, metric, "document")),
        meta: d.metadata === null ? null : packValue(d.metadata),
        length: lengths[i]!,
        // An empty text is not kept (segments store "none" and "" alike, as an empty range).
        text: keepText && d.text !== undefined && d.text.length > 0 ? d.text : null,
      };
      // Cosine: scaled to unit length once, here, before the log record (as the sparse metric).
      if (d.dense !== undefined && dense !== null) doc.dense = denseForMetric(d.dense, dense.metric, `document ${i} (id ${JSON.stringify(d.id)})`);
      return doc;
    });
  }

  /** What the request rules need of this collection: its vocabulary and its dense vectors' dims. */
  private requestContext(): RequestContext {
    return { vocabSize: this.vocabSize, vocabulary: this.options.encoder?.vocabulary, dense: this.options.dense === null ? null : { dims: this.options.dense.dims } };
  }

  /** Runs a write, known to bulkLoad until it settles. */
  private tracked<T>(write: Promise<T>): Promise<T> {
    const p = write.finally(() => this.writesInFlight.delete(p));
    this.writesInFlight.add(p);
    return p;
  }

  /** Deletes documents by id; resolves to how many existed. */
  async delete(ids: string[]): Promise<number> {
    while (this.bulkLoading) await this.bulkLoading; // checked and tracked in one synchronous step
    this.checkOpen();
    return this.tracked(this.deleteNow(ids));
  }

  private async deleteNow(ids: string[]): Promise<number> {
    checkDelete(ids);
    if (ids.length === 0) return 0;
    while (this.order.closed) await this.order.opened(); // then append at once (write-order.ts)
    return this.appendDelete(ids);
  }

  /** Logs a delete record and applies it; issues the append before its first await. Resolves to how many existed. */
  private async appendDelete(ids: string[]): Promise<number> {
    let deleted = 0;
    await this.log.append(RECORD_DELETE, encodeDelete(ids), () => {
      for (const id of ids) if (applyDelete(this.live, id)) deleted++;
    }, false, () => this.checkOpen());
    return deleted;
  }

  /**
   * Deletes every live document whose metadata matches `filter`; resolves to how many. Written
   * as an ordinary delete record of the ids matched, so it is as durable as delete(ids) and
   * replay needs nothing new; the match and the record are one step in the write order
   * (write-order.ts), so a write acknowledged before this call is matched and one issued after
   * it is not deleted.
   */
  async deleteByFilter(filter: Filter): Promise<number> {
    while (this.bulkLoading) await this.bulkLoading;
    this.checkOpen();
    const accept = compileFilter(checkFilter(filter, "delete"));
    return this.tracked(
      this.order.exclusive(() => this.log.applied(), async () => {
        this.checkOpen();
        const ids = matchingIds(this.live, accept);
        if (ids.length === 0) return 0;
        return this.appendDelete(ids);
      }),
    );
  }

  /**
   * A partial metadata update of one document: the patch's top-level fields merged into its
   * stored metadata (metadata-patch.ts; null removes a field), without the caller resending the
   * vector. NOT_FOUND when the id has no live version.
   *
   * Why a new version through the upsert path: the log then holds a complete document (its
   * stored vector, length and text re-used, the merged metadata), so replay, flushes, merges,
   * the corpus statistics and verify need nothing new, and an older log reader replays it as a
   * plain upsert. The read of the current version and the append are one step in the write
   * order (write-order.ts), so a concurrent upsert or delete of the same id lands either wholly
   * before the patch (and is patched) or wholly after it (and wins), never in between.
   */
  async setMetadata(id: string, patch: Record<string, unknown>): Promise<void> {
    while (this.bulkLoading) await this.bulkLoading;
    this.checkOpen();
    checkId(id, "setMetadata");
    checkMetadataPatch(patch);
    return this.tracked(
      this.order.exclusive(() => this.log.applied(), async () => {
        this.checkOpen();
        const current = this.live.storedVersion(id);
        if (current === null) throw new SparseDbError("NOT_FOUND", `setMetadata: no document with id ${JSON.stringify(id)}; upsert it first`);
        const merged = mergeMetadata(current.meta ? unpackValue(current.meta) : null, patch);
        return this.appendUpsert([{ ...current, meta: packValue(merged) }]);
      }),
    );
  }

  // ---------------------------------------------------------------- reads

  /** The current version of `id` (with its stored text, null when none), or null. */
  async get(id: string): Promise<LiveDocument | null> {
    this.checkOpen();
    checkId(id, "get");
    return this.live.get(id, this.vocabSize);
  }

  /** The current versions of `ids`, in their order (null for an id without one); read at one moment. */
  async getMany(ids: string[]): Promise<(LiveDocument | null)[]> {
    this.checkOpen();
    return checkGetMany(ids).map((id) => this.live.get(id, this.vocabSize));
  }

  /** Live documents; with a filter, those whose metadata matches it (a pass over every document's metadata). */
  count(filter?: Filter): number {
    if (filter === undefined || filter === null) return this.live.count();
    this.checkOpen();
    return countMatching(this.live, compileFilter(checkFilter(filter, "count")));
  }

  /**
   * Top-k by dot product (by cosine in a cosine collection) over every live document. Ties: score descending, then id ascending.
   * A filter is applied during retrieval, so k hits come back whenever k documents match.
   */
  async search(request: SearchRequest): Promise<SearchHits> {
    this.checkOpen();
    const r = checkSearch(request, this.requestContext());
    const accept = r.filter === undefined ? undefined : compileFilter(r.filter);
    if (r.dense !== undefined) return this.searchWithDense(r, accept);
    let query: SparseVector;
    if (r.vector !== undefined) query = r.vector;
    else {
      if (!this.options.encoder) throw new SparseDbError("INVALID_ARGUMENT", "a text query needs an encoder; open the collection with one or pass a vector");
      query = await this.options.encoder.encodeQuery(r.text!);
      this.checkOpen();
    }
    query = vectorForMetric(query, this.options.metric, "query");
    const vocabulary = this.options.encoder?.vocabulary;
    let snap = this.snapshot();
    try {
      const searchOptions: SnapshotSearchOptions = {
        k: r.k + r.offset,
        offset: r.offset,
        minScore: r.scoreThreshold,
        exact: r.mode !== "fast",
        algorithm: r.algorithm,
        recall: r.recall,
        recentQueries: this.recentQueries,
        accept,
        explain: r.explain,
        vocabSize: this.vocabSize,
        tokenOf: vocabulary ? (t) => vocabulary.tokenOf(t) : undefined,
        include: r.include,
      };
      // A server's worker threads search the segments when it has installed its pool.
      const pool = segmentSearchPool();
      if (pool !== undefined) {
        const hits = await searchSnapshotParallel(snap, query, searchOptions, pool);
        if (hits !== undefined) return hits;
        // A tie at the last place the pool's results cannot settle (rare): in-process, on a fresh view.
        this.checkOpen();
        snap.release();
        snap = this.snapshot();
      }
      return searchSnapshot(snap, query, searchOptions);
    } finally {
      snap.release();
    }
  }

  /** A search with a dense query: dense only, fused with the sparse leg, or a two-stage rerank (hybrid-search.ts). */
  private async searchWithDense(r: CheckedSearch, accept: ((metadata: unknown) => boolean) | undefined): Promise<SearchHits> {
    const dense = this.options.dense!; // checkSearch refuses a dense query without it
    const denseQuery = denseForMetric(r.dense!, dense.metric, "search: query");
    let sparseQuery: SparseVector | undefined;
    if (r.vector !== undefined) sparseQuery = r.vector;
    else if (r.text !== undefined) {
      if (!this.options.encoder) throw new SparseDbError("INVALID_ARGUMENT", "a text query needs an encoder; open the collection with one or pass a vector");
      sparseQuery = await this.options.encoder.encodeQuery(r.text);
      this.checkOpen();
    }
    if (sparseQuery !== undefined) sparseQuery = vectorForMetric(sparseQuery, this.options.metric, "query");
    const vocabulary = this.options.encoder?.vocabulary;
    const depth = r.k + r.offset;
    const snap = this.snapshot();
    try {
      if (dense.index === "hnsw") {
        await loadDenseIndexes(snap, dense.metric);
        this.checkOpen();
      }
      const sparse = sparseQuery === undefined ? undefined : {
        query: sparseQuery,
        search: (k: number) =>
          searchSnapshot(snap, sparseQuery, { k, exact: r.mode !== "fast", algorithm: r.algorithm, recall: r.recall, recentQueries: this.recentQueries, accept, explain: false, vocabSize: this.vocabSize, include: NO_FIELDS }).map((h) => ({ id: h.id, score: h.score })),
      };
      return hybridSearchSnapshot(snap, {
        k: depth,
        offset: r.offset,
        minScore: r.scoreThreshold,
        accept,
        explain: r.explain,
        include: r.include,
        metric: dense.metric,
        dense: denseQuery,
        sparse,
        fusion: r.fusion,
        rerank: r.rerank,
        prefetch: r.prefetch ?? defaultPrefetch(depth, MAX_K),
        vocabSize: this.vocabSize,
        tokenOf: vocabulary ? (t) => vocabulary.tokenOf(t) : undefined,
      });
    } finally {
      snap.release();
    }
  }

  /**
   * One page of the live documents in external-id order (scroll-snapshot.ts), over one snapshot:
   * the cursor is the last id returned, so later pages see the documents live then whose ids
   * sort after it (see ScrollPage in requests.ts).
   */
  scroll(request: ScrollRequest): ScrollPage {
    this.checkOpen();
    const r = checkScroll(request);
    const snap = this.snapshot();
    try {
      const { documents, more } = scrollSnapshot(snap, {
        limit: r.limit,
        after: r.after,
        accept: r.filter === undefined ? undefined : compileFilter(r.filter),
        withVectors: r.withVectors,
        vocabSize: this.vocabSize,
      });
      return { documents, nextCursor: more ? encodeCursor(documents[documents.length - 1]!.id) : null };
    } finally {
      snap.release();
    }
  }

  /**
   * The corpus statistics of the live documents stored with a length (BM25's N, total length,
   * and document frequency per term), as the encoder reads them: a copy.
   */
  corpusStatistics(): { numDocs: number; totalLength: number; df: Record<number, number> } {
    return this.live.statistics.toJSON();
  }

  /** A consistent view for a reader; release() it when done. */
  snapshot(): Snapshot {
    this.checkOpen();
    return this.live.snapshot(this.segmentSet.onSnapshotFreed);
  }

  stats(): CollectionStats {
    let postings = this.live.memtable.numPostings, deletedDocs = 0, diskBytes = this.log.size, indexBytes = 0;
    for (const s of this.live.segments) {
      postings += s.index.numPostings;
      deletedDocs += s.deletedCount;
      diskBytes += s.commit.fileBytes;
      const m = s.index.memory();
      indexBytes += m.invertedBytes + m.forwardBytes;
    }
    return {
      docs: this.count(),
      segments: this.live.segments.length,
      memtableDocs: this.live.memtableDocs(),
      postings,
      deletedDocs,
      diskBytes,
      walBytes: this.log.size,
      indexBytes,
      bits: this.bits,
      durability: this.options.durability,
      metric: this.options.metric,
      mergeRunning: this.merges.merging !== null,
      manifestGeneration: this.segmentSet.generation,
      backgroundError: this.backgroundError === null ? null : String((this.backgroundError as Error).message ?? this.backgroundError),
      corpus: { docs: this.live.statistics.numDocs, totalLength: this.live.statistics.totalLength },
      walRepairs: this.walRepairs.map((r) => ({ ...r })),
      storeText: this.options.storeText,
      dense: this.options.dense === null ? null : { ...this.options.dense },
      denseDocs: this.live.denseDocs(),
    };
  }

  // ---------------------------------------------------------------- flush, commit, merges

  /** Turns the memtable into a segment and commits (also persists pending deletions). */
  async flush(): Promise<void> {
    this.checkOpen();
    // Background flushes first (they build off the commit lock): then nothing is left unflushed.
    while (this.flusher.flushing) await this.flusher.flushing;
    await this.segmentSet.serialized(() => this.flusher.flushLocked());
    this.merges.schedule();
  }

  /**
   * Waits until every write acknowledged so far is on disk: its log record written and fsynced.
   * In durability "always" that is already so; in "batch" and "off" this is the way to learn it
   * without building a segment (flush).
   */
  async sync(): Promise<void> {
    this.checkOpen();
    await this.log.sync();
  }

  /**
   * Checks every file of the collection on disk (checksums and cross-references; see
   * verifyCollectionFiles) while commits wait, after syncing the log. Changes nothing.
   */
  async verify(): Promise<CollectionCheck> {
    this.checkOpen();
    return this.segmentSet.serialized(async () => {
      await this.log.syncCurrent();
      return verifyCollectionFiles(this.fs, this.dir);
    });
  }

  /** Merges every segment into one (reclaiming all deletions); waits for it. */
  async forceMerge(): Promise<void> {
    this.checkOpen();
    await this.merges.forceMerge();
  }

  /** Waits for background flushes and merges to finish (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.flusher.flushing || this.merges.merging) await (this.flusher.flushing ?? this.merges.merging);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Flushes, stops background work, syncs, and releases the lock. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    let error: unknown = null;
    try {
      await this.idle();
      // After a failed bulk load memory may hold deletions of versions its uncommitted segment
      // replaced; only a reopen shows the committed state, so commit nothing more.
      if (this.bulkFailure === null) await this.segmentSet.serialized(() => this.flusher.flushLocked());
    } catch (e) {
      error = e; // the log still holds everything acknowledged; the next open replays it
    }
    await this.segmentSet.serialized(async () => {
      this.closed = true;
      this.detachEncoder();
      await this.log.close().catch((e) => (error ??= e));
      await this.builds.close();
      await this.lock.release();
    });
    if (error) throw error;
  }

  private checkOpen(): void {
    if (this.closed || this.closing) throw new SparseDbError("CLOSED", `collection ${this.dir} is closed; open it again`);
    if (this.bulkFailure !== null) {
      throw new SparseDbError("CLOSED", `a bulk load into ${this.dir} failed (${(this.bulkFailure as Error).message ?? String(this.bulkFailure)}); close the collection and open it again (it holds what the load reported committed)`);
    }
  }
}

/** Refuses to open a collection whose segments or log hold dense vectors of another length than its config says (or any, without one). */
function checkDenseDims(dense: DenseConfig | null, segmentDims: number[], loggedDims: number[]): void {
  const found = [...segmentDims, ...loggedDims].find((d) => d !== 0 && d !== dense?.dims);
  if (found === undefined) return;
  if (dense === null) throw new SparseDbError("INVALID_ARGUMENT", `the collection holds dense vectors of ${found} values; open it with dense: {dims: ${found}, metric, index} (a database does so from the collection's config)`);
  throw new SparseDbError("CORRUPTION", `the collection holds dense vectors of ${found} values, but its config says dense.dims ${dense.dims}`);
}

/** What a hybrid search's sparse leg returns per hit: the id and score only (hits are materialised after fusion). */
const NO_FIELDS: CheckedInclude = { metadata: false, text: false };

/** A length an encoder reported, as the log and the segments store it (u32 below NO_LENGTH). */
function checkLength(length: unknown, docIndex: number): number {
  if (typeof length === "number" && Number.isInteger(length) && length >= 0 && length < NO_LENGTH) return length;
  throw new SparseDbError("ENCODER_ERROR", `the encoder reported length ${String(length)} for document ${docIndex}; a document length must be an integer in 0..${NO_LENGTH - 1}`);
}

function termsAndWeights(v: SparseVector): { terms: Uint32Array; weights: Float32Array } {
  return { terms: v.terms, weights: v.weights };
}
