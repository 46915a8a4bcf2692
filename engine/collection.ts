import type { Encoder } from "../encoder/encoder.js";
import { deletionFileName, writeDeletions } from "../storage/deletion-file.js";
import { nodeFileSystem, type FileSystem } from "../storage/file-system.js";
import { DirectoryLock } from "../storage/lock-file.js";
import { writeManifest, type Manifest } from "../storage/manifest.js";
import { packValue, unpackValue } from "../storage/msgpack.js";
import { writeSegmentFile } from "../storage/segment-file.js";
import { WAL_RECORD_HEADER_BYTES } from "../storage/wal-format.js";
import { WalWriter, type Durability } from "../storage/wal-writer.js";
import { SparseDbError } from "./errors.js";
import { compileFilter, type Filter } from "./filter.js";
import { checkAlgorithm, checkK, type AlgorithmName } from "./search/search.js";
import { SparseVector } from "./sparse-vector.js";
import { segmentFileName, walFileName } from "./collection/directory-files.js";
import { checkId, toVector, type VectorInput } from "./collection/document-input.js";
import { applyDelete, applyUpsert, type LiveDocuments } from "./collection/apply-writes.js";
import { CorpusStatistics, NO_LENGTH } from "./collection/corpus-statistics.js";
import { idHash } from "./collection/id-hash.js";
import { Memtable } from "./collection/memtable.js";
import { DEFAULT_MERGE_POLICY, pickMerge, type MergePolicyOptions } from "./collection/merge-policy.js";
import { openCollectionState, type WalRepair } from "./collection/recovery.js";
import { verifyCollectionFiles, type CollectionCheck } from "./collection/verify-collection.js";
import { SegmentBuildService } from "./collection/segment-build-service.js";
import { SegmentInputBuilder } from "./collection/segment-input.js";
import { LiveSegment } from "./collection/live-segment.js";
import { mergeSegments } from "./collection/segment-merger.js";
import { searchSnapshot, type CollectionHit } from "./collection/snapshot-search.js";
import { approximateRecall } from "./search/approximate-options.js";
import { Snapshot } from "./collection/snapshot.js";
import { encodeDelete, encodeUpsert, RECORD_DELETE, RECORD_UPSERT, type StoredDoc } from "./collection/wal-records.js";

export type { CollectionHit, ExplainEntry } from "./collection/snapshot-search.js";
export type { WalRepair } from "./collection/recovery.js";
export type { Durability } from "../storage/wal-writer.js";

export interface CollectionOptions {
  /** Impact width for new collections (an existing one keeps its own); 8 by default. */
  bits?: number;
  /** "always" (default): an upsert resolves once fsynced. "batch": fsync every batchIntervalMs. "off": never fsync. */
  durability?: Durability;
  batchIntervalMs?: number;
  /** The memtable flushes into a segment at this many documents; 20,000 by default. */
  memtableMaxDocs?: number;
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
}

export interface UpsertDocument {
  id: string;
  vector?: VectorInput;
  text?: string;
  metadata?: unknown;
}

export interface CollectionSearchOptions {
  vector?: VectorInput;
  text?: string;
  k: number;
  /**
   * "exact" (default): top-k by the float dot product. "fast": top-k by the quantized score.
   * "approximate": float scores, with the range search's bounds scaled down as far as this
   * collection's calibration says still reaches `recall` (engine/search/approximate-calibration.ts).
   */
  mode?: "exact" | "fast" | "approximate";
  /** Mode "approximate": the recall@k to reach, 0.8..0.999; 0.95 by default. */
  recall?: number;
  algorithm?: AlgorithmName;
  filter?: Filter;
  explain?: boolean;
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
  mergeRunning: boolean;
  manifestGeneration: number;
  /** The last error of a background flush or merge, if any (the write that caused it was durable in the log). */
  backgroundError: string | null;
  /** Live documents stored with a length (BM25's N) and their total length; see corpusStatistics(). */
  corpus: { docs: number; totalLength: number };
  /** What opening with repairWal dropped from damaged logs (empty when nothing was repaired). */
  walRepairs: WalRepair[];
}

/**
 * A durable collection of sparse vectors in one directory: a write-ahead log, a memtable, immutable
 * segment files with deletion bitsets, and a manifest naming them (storage/FORMAT.md).
 *
 * One writer (this object, guarded by a LOCK file), many concurrent readers. Writes go log ->
 * memtable; flushes turn the memtable into a segment; a tiered merge policy combines segments in
 * the background. Every state change on disk is a manifest commit, serialized by `serialized()`.
 */
export class Collection {
  private memtable = new Memtable();
  /** Memtables being built into segments (off-thread): still searched, still take deletions. */
  private flushingMemtables: Memtable[] = [];
  private readonly builds = new SegmentBuildService();
  private segments: LiveSegment[];
  /** Segments merged away, kept until no snapshot uses them and the manifest no longer names them. */
  private retired: LiveSegment[] = [];
  /** Log numbers that may hold records not yet in a committed segment or bitset, ascending. */
  private liveLogs: number[];
  /** Oldest log whose records may be in the memtable. */
  private memtableFirstLog: number;
  private rotating: Promise<void> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private flushing: Promise<void> | null = null;
  private merging: Promise<void> | null = null;
  private closing = false;
  private closed = false;
  private backgroundError: unknown = null;
  /** Undoes the encoder's attachment to this collection's statistics (on close). */
  private readonly detachEncoder: () => void;

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly lock: DirectoryLock,
    private manifest: Manifest,
    private nextFileNumber: number,
    private wal: WalWriter,
    private walNumber: number,
    segments: LiveSegment[],
    memtable: Memtable,
    liveLogs: number[],
    private readonly statistics: CorpusStatistics,
    private readonly options: Required<Pick<CollectionOptions, "memtableMaxDocs" | "autoMerge" | "durability" | "batchIntervalMs">> & {
      encoder?: Encoder;
    },
    private readonly policy: MergePolicyOptions,
    private readonly walRepairs: WalRepair[] = [],
  ) {
    this.segments = segments;
    this.memtable = memtable;
    this.liveLogs = liveLogs;
    this.memtableFirstLog = liveLogs[0] ?? walNumber;
    this.detachEncoder = options.encoder?.corpus?.attach(statistics) ?? (() => undefined);
  }

  /**
   * Opens (or with `create: true`, creates) the collection in `dir`: takes the lock, loads the
   * segments the manifest names (verifying every checksum), removes files no manifest names,
   * replays the write-ahead logs, and starts a new log.
   */
  static async open(dir: string, options: CollectionOptions = {}): Promise<Collection> {
    const fs = options.fs ?? nodeFileSystem;
    const durability = options.durability ?? "always";
    if (!["always", "batch", "off"].includes(durability)) {
      throw new SparseDbError("INVALID_ARGUMENT", `durability must be "always", "batch" or "off", got ${JSON.stringify(durability)}`);
    }
    const batchIntervalMs = options.batchIntervalMs ?? 10;
    const memtableMaxDocs = options.memtableMaxDocs ?? 20_000;
    if (!Number.isInteger(memtableMaxDocs) || memtableMaxDocs < 1) {
      throw new SparseDbError("INVALID_ARGUMENT", `memtableMaxDocs must be a positive integer, got ${memtableMaxDocs}`);
    }
    const state = await openCollectionState(fs, dir, {
      create: options.create ?? false,
      bits: options.bits ?? 8,
      vocabSize: options.encoder?.vocabulary.size,
      repairWal: options.repairWal === true,
    });
    const walNumber = state.nextFileNumber;
    let wal: WalWriter;
    try {
      wal = await WalWriter.create(fs, dir, `${dir}/${walFileName(walNumber)}`, durability, batchIntervalMs);
    } catch (e) {
      await state.lock.release();
      throw e;
    }
    let c: Collection;
    try {
      // Throws when the encoder already serves another open collection (corpus.attach).
      c = new Collection(dir, fs, state.lock, state.manifest, walNumber + 1, wal, walNumber, state.segments, state.memtable, [...state.replayedLogs, walNumber], state.statistics, {
        memtableMaxDocs,
        autoMerge: options.autoMerge ?? true,
        durability,
        batchIntervalMs,
        encoder: options.encoder,
      }, { ...DEFAULT_MERGE_POLICY, ...options.mergePolicy }, state.walRepairs);
    } catch (e) {
      await wal.close().catch(() => undefined);
      await state.lock.release();
      throw e;
    }
    c.scheduleMerge();
    return c;
  }

  get bits(): number {
    return this.manifest.bits;
  }

  get vocabSize(): number {
    return this.manifest.vocabSize;
  }

  // ---------------------------------------------------------------- writes

  /** Inserts or replaces documents by id. Resolves when durable (per the mode); searchable at once then. */
  async upsert(docs: UpsertDocument[]): Promise<void> {
    this.checkOpen();
    if (!Array.isArray(docs)) throw new SparseDbError("INVALID_ARGUMENT", "upsert takes an array of {id, vector | text, metadata?}");
    if (docs.length === 0) return;
    const vectors: (SparseVector | null)[] = docs.map((d, i) => {
      const where = `document ${i}`;
      if (d === null || typeof d !== "object") throw new SparseDbError("INVALID_ARGUMENT", `${where} is not an object {id, vector | text, metadata?}`);
      checkId(d.id, where);
      if (d.vector !== undefined) return toVector(d.vector, "document", this.vocabSize, `${where} (id ${JSON.stringify(d.id)})`);
      if (typeof d.text !== "string") {
        throw new SparseDbError("INVALID_ARGUMENT", `${where} (id ${JSON.stringify(d.id)}) has neither a vector nor a text; give one`);
      }
      if (!this.options.encoder) {
        throw new SparseDbError("INVALID_ARGUMENT", `${where} (id ${JSON.stringify(d.id)}) has text but the collection has no encoder; pass vectors or open it with an encoder`);
      }
      return null;
    });
    const textIdx = vectors.flatMap((v, i) => (v === null ? [i] : []));
    // A document's length for the corpus statistics, when its encoder measures one (BM25).
    const lengths = new Array<number>(docs.length).fill(NO_LENGTH);
    if (textIdx.length > 0) {
      const encoder = this.options.encoder!;
      const texts = textIdx.map((i) => docs[i]!.text!);
      const encoded = encoder.corpus ? await encoder.corpus.encodeDocumentsWithLengths(texts) : { vectors: await encoder.encodeDocuments(texts), lengths: null };
      textIdx.forEach((docIndex, j) => {
        vectors[docIndex] = toVector(encoded.vectors[j]!, "document", this.vocabSize, `document ${docIndex}`);
        if (encoded.lengths !== null) lengths[docIndex] = checkLength(encoded.lengths[j], docIndex);
      });
    }
    const stored: StoredDoc[] = docs.map((d, i) => ({
      id: d.id,
      terms: vectors[i]!.terms,
      weights: vectors[i]!.weights,
      meta: d.metadata === undefined || d.metadata === null ? null : packValue(d.metadata),
      length: lengths[i]!,
    }));
    const record = encodeUpsert(stored, WAL_RECORD_HEADER_BYTES);
    await this.appendRecord(RECORD_UPSERT, record, () => {
      const live = this.liveDocuments();
      for (const d of stored) applyUpsert(live, d);
    }, true);
    this.maybeFlush();
    // Backpressure: writers faster than segment builds wait rather than grow the memtable without bound.
    while (this.flushing && this.memtable.size >= 2 * this.options.memtableMaxDocs) await this.flushing;
  }

  /** Deletes documents by id; resolves to how many existed. */
  async delete(ids: string[]): Promise<number> {
    this.checkOpen();
    if (!Array.isArray(ids)) throw new SparseDbError("INVALID_ARGUMENT", "delete takes an array of ids");
    ids.forEach((id, i) => checkId(id, `id ${i}`));
    if (ids.length === 0) return 0;
    let deleted = 0;
    await this.appendRecord(RECORD_DELETE, encodeDelete(ids), () => {
      const live = this.liveDocuments();
      for (const id of ids) if (applyDelete(live, id)) deleted++;
    });
    return deleted;
  }

  /** What apply-writes.ts changes; the same functions replay the log at open (recovery.ts). */
  private liveDocuments(): LiveDocuments {
    return { memtable: this.memtable, flushingMemtables: this.flushingMemtables, segments: this.segments, statistics: this.statistics };
  }

  /** `inPlace`: `payload` already has WAL_RECORD_HEADER_BYTES of room in front (see encodeUpsert). */
  private async appendRecord(type: number, payload: Uint8Array, apply: () => void, inPlace = false): Promise<void> {
    while (this.rotating) await this.rotating;
    this.checkOpen();
    await (inPlace ? this.wal.appendInPlace(type, payload, apply) : this.wal.append(type, payload, apply));
  }

  // ---------------------------------------------------------------- reads

  async get(id: string): Promise<{ id: string; vector: SparseVector; metadata: unknown } | null> {
    this.checkOpen();
    checkId(id, "get");
    const m = this.memtable.get(id) ?? this.flushingMemtables.map((f) => f.get(id)).find((x) => x !== undefined);
    if (m) {
      return {
        id,
        vector: SparseVector.fromArrays(m.terms, m.weights, { vocabSize: this.vocabSize }),
        metadata: m.meta ? unpackValue(m.meta) : null,
      };
    }
    const hash = idHash(id);
    for (const s of this.segments) {
      const d = s.docOf(id, hash);
      if (d >= 0) return { id, vector: s.index.forward.vector(d), metadata: s.metadata(d) };
    }
    return null;
  }

  count(): number {
    let n = this.memtable.size;
    for (const m of this.flushingMemtables) n += m.size;
    for (const s of this.segments) n += s.liveDocs;
    return n;
  }

  /**
   * Top-k by dot product over every live document. Ties: score descending, then id ascending.
   * A filter is applied during retrieval, so k hits come back whenever k documents match.
   */
  async search(options: CollectionSearchOptions): Promise<CollectionHit[] & { expectedRecall?: number }> {
    this.checkOpen();
    if (options === null || typeof options !== "object") throw new SparseDbError("INVALID_ARGUMENT", "search takes {vector | text, k, ...}");
    const k = checkK(options.k);
    const mode = options.mode ?? "exact";
    if (mode !== "exact" && mode !== "fast" && mode !== "approximate") {
      throw new SparseDbError("INVALID_ARGUMENT", `mode must be "exact", "fast" or "approximate", got ${JSON.stringify(mode)}`);
    }
    const algorithm = options.algorithm === undefined ? undefined : checkAlgorithm(options.algorithm);
    const recall = approximateRecall(mode, options.recall, algorithm);
    const accept = options.filter === undefined ? undefined : compileFilter(options.filter);
    let query: SparseVector;
    if (options.vector !== undefined) query = toVector(options.vector, "query", this.vocabSize, "query");
    else if (typeof options.text === "string") {
      if (!this.options.encoder) throw new SparseDbError("INVALID_ARGUMENT", "a text query needs an encoder; open the collection with one or pass a vector");
      query = await this.options.encoder.encodeQuery(options.text);
      this.checkOpen();
    } else throw new SparseDbError("INVALID_ARGUMENT", "search needs a vector or a text");
    const vocabulary = this.options.encoder?.vocabulary;
    const snap = this.snapshot();
    try {
      return searchSnapshot(snap, query, {
        k,
        exact: mode !== "fast",
        algorithm,
        recall,
        accept,
        explain: options.explain === true,
        vocabSize: this.vocabSize,
        tokenOf: vocabulary ? (t) => vocabulary.tokenOf(t) : undefined,
      });
    } finally {
      snap.release();
    }
  }

  /**
   * The corpus statistics of the live documents stored with a length (BM25's N, total length,
   * and document frequency per term), as the encoder reads them: a copy.
   */
  corpusStatistics(): { numDocs: number; totalLength: number; df: Record<number, number> } {
    return this.statistics.toJSON();
  }

  /** A consistent view for a reader; release() it when done. */
  snapshot(): Snapshot {
    this.checkOpen();
    return new Snapshot([this.memtable, ...this.flushingMemtables], [...this.segments], (freed) => void this.removeRetiredFiles(freed).catch(() => undefined));
  }

  stats(): CollectionStats {
    let postings = this.memtable.numPostings, deletedDocs = 0, diskBytes = this.wal.size, indexBytes = 0;
    for (const s of this.segments) {
      postings += s.index.numPostings;
      deletedDocs += s.deletedCount;
      diskBytes += s.fileBytes;
      const m = s.index.memory();
      indexBytes += m.invertedBytes + m.forwardBytes;
    }
    return {
      docs: this.count(),
      segments: this.segments.length,
      memtableDocs: this.memtable.size + this.flushingMemtables.reduce((n, m) => n + m.size, 0),
      postings,
      deletedDocs,
      diskBytes,
      walBytes: this.wal.size,
      indexBytes,
      bits: this.bits,
      durability: this.options.durability,
      mergeRunning: this.merging !== null,
      manifestGeneration: this.manifest.generation,
      backgroundError: this.backgroundError === null ? null : String((this.backgroundError as Error).message ?? this.backgroundError),
      corpus: { docs: this.statistics.numDocs, totalLength: this.statistics.totalLength },
      walRepairs: this.walRepairs.map((r) => ({ ...r })),
    };
  }

  // ---------------------------------------------------------------- flush, commit

  /** Turns the memtable into a segment and commits (also persists pending deletions). */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.serialized(() => this.flushLocked());
    this.scheduleMerge();
  }

  /**
   * Waits until every write acknowledged so far is on disk: its log record written and fsynced.
   * In durability "always" that is already so; in "batch" and "off" this is the way to learn it
   * without building a segment (flush).
   */
  async sync(): Promise<void> {
    this.checkOpen();
    while (this.rotating) await this.rotating; // a rotation fsyncs the old log before switching
    await this.wal.sync();
  }

  /**
   * Checks every file of the collection on disk (checksums and cross-references; see
   * verifyCollectionFiles) while commits wait, after syncing the log. Changes nothing.
   */
  async verify(): Promise<CollectionCheck> {
    this.checkOpen();
    return this.serialized(async () => {
      await this.wal.sync();
      return verifyCollectionFiles(this.fs, this.dir);
    });
  }

  /** Merges every segment into one (reclaiming all deletions); waits for it. */
  async forceMerge(): Promise<void> {
    this.checkOpen();
    while (this.merging) await this.merging;
    if (this.segments.length > 1 || this.segments.some((s) => s.deletedCount > 0)) {
      this.merging = this.runMerge(this.segments.filter((s) => s.persisted)).finally(() => (this.merging = null));
      await this.merging;
    }
  }

  /** Waits for background flushes and merges to finish (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.flushing || this.merging) await (this.flushing ?? this.merging);
  }

  private maybeFlush(): void {
    if (this.memtable.size < this.options.memtableMaxDocs || this.flushing || this.closing) return;
    this.flushing = this.serialized(() => this.flushLocked())
      .then(() => {
        this.backgroundError = null;
      })
      .catch((e) => {
        this.backgroundError = e;
      })
      .finally(() => {
        this.flushing = null;
        this.scheduleMerge();
      });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async flushLocked(): Promise<void> {
    if (this.memtable.size > 0) {
      const { frozen, firstLog } = await this.rotateLog();
      try {
        const docs = [...frozen.values()];
        const input = new SegmentInputBuilder(this.bits, this.vocabSize, { docs: frozen.size, postings: frozen.numPostings });
        for (const d of docs) input.add(d.id, d.terms, d.weights, d.meta, d.length);
        const id = this.nextFileNumber++;
        const built = await this.builds.build(input.finish(), id);
        const seg = LiveSegment.fromSections(id, built.sections, 0, undefined, false);
        seg.checksums = built.checksums;
        // Documents replaced or deleted while the segment was being built.
        docs.forEach((d, i) => {
          if (frozen.get(d.id) !== d) seg.deleteDoc(i);
        });
        seg.sourceLog = firstLog;
        this.segments.push(seg);
      } catch (e) {
        // Keep what the frozen memtable still holds (each the newest version of its id) visible.
        for (const d of frozen.values()) this.memtable.put(d);
        this.memtableFirstLog = firstLog;
        throw e;
      } finally {
        this.flushingMemtables = this.flushingMemtables.filter((m) => m !== frozen);
      }
    } else if (this.memtableFirstLog < this.walNumber) {
      // Nothing of the older logs is in the memtable; their deletions are in the bitsets this
      // commit persists, so they are no longer needed.
      this.memtableFirstLog = this.walNumber;
    }
    await this.commitLocked();
  }

  /**
   * Starts a new log and hands back the memtable filled from the old one(s). Appends wait while
   * this runs, so the log order and the order writes were applied in stay the same.
   */
  private async rotateLog(): Promise<{ frozen: Memtable; firstLog: number }> {
    let done!: () => void;
    this.rotating = new Promise((r) => (done = r));
    try {
      const n = this.nextFileNumber++;
      const path = `${this.dir}/${walFileName(n)}`;
      const next = await WalWriter.create(this.fs, this.dir, path, this.options.durability, this.options.batchIntervalMs);
      try {
        await this.wal.sync(); // drains appends queued on the old log into the old memtable
      } catch (e) {
        await next.abandon();
        await this.fs.unlink(path).catch(() => undefined);
        throw e;
      }
      await this.wal.abandon();
      const frozen = this.memtable;
      const firstLog = this.memtableFirstLog;
      this.memtable = new Memtable();
      // Searched and deletable from here on: writes waiting for the rotation run as soon as it
      // ends (before this function's caller resumes), and in batch/off they apply at once, so
      // a write replacing one of its documents must find it here.
      this.flushingMemtables.push(frozen);
      this.wal = next;
      this.walNumber = n;
      this.memtableFirstLog = n;
      this.liveLogs.push(n);
      return { frozen, firstLog };
    } finally {
      this.rotating = null;
      done();
    }
  }

  /**
   * Persists the current state: unwritten segment files, changed deletion bitsets, then the
   * manifest (the commit point). Afterwards removes logs, bitsets and segments it superseded.
   */
  private async commitLocked(): Promise<void> {
    await this.wal.sync(); // every deletion in memory has its log record on disk first
    for (const s of this.segments) {
      if (s.persisted) continue;
      s.fileBytes = await writeSegmentFile(this.fs, `${this.dir}/${segmentFileName(s.id)}`, s.toSections(), s.checksums);
      s.persisted = true;
      s.checksums = undefined;
    }
    const written: { seg: LiveSegment; gen: number; version: number; count: number }[] = [];
    for (const s of this.segments) {
      if (s.deleteVersion === s.persistedDeleteVersion) continue;
      const gen = s.delGen + 1, version = s.deleteVersion, count = s.deletedCount;
      await writeDeletions(this.fs, `${this.dir}/${deletionFileName(s.id, gen)}`, Uint8Array.prototype.slice.call(s.deleted), s.numDocs, count);
      written.push({ seg: s, gen, version, count });
    }
    let logNumber = this.memtableFirstLog;
    for (const s of this.segments) if (s.sourceLog !== null && !s.persisted) logNumber = Math.min(logNumber, s.sourceLog);
    const segments = this.segments.map((s) => {
      const w = written.find((x) => x.seg === s);
      return { id: s.id, docs: s.numDocs, delGen: w ? w.gen : s.delGen, deletedDocs: w ? w.count : s.committedDeletedCount };
    });
    const next: Manifest = {
      generation: this.manifest.generation + 1,
      logNumber,
      nextFileNumber: this.nextFileNumber,
      bits: this.manifest.bits,
      vocabSize: this.manifest.vocabSize,
      segments,
    };
    await writeManifest(this.fs, this.dir, next);
    this.manifest = next;
    // Committed: now clean up what it superseded (best effort; open() removes leftovers).
    const garbage: string[] = [];
    for (const w of written) {
      if (w.seg.delGen > 0) garbage.push(deletionFileName(w.seg.id, w.seg.delGen));
      w.seg.delGen = w.gen;
      w.seg.persistedDeleteVersion = w.version;
      w.seg.committedDeletedCount = w.count;
    }
    for (const s of this.segments) s.sourceLog = null;
    for (const n of this.liveLogs.filter((x) => x < logNumber)) garbage.push(walFileName(n));
    this.liveLogs = this.liveLogs.filter((x) => x >= logNumber);
    for (const g of garbage) await this.fs.unlink(`${this.dir}/${g}`).catch(() => undefined);
    await this.removeRetiredFiles(this.retired.filter((s) => s.refs === 0));
  }

  private async removeRetiredFiles(freed: LiveSegment[]): Promise<void> {
    for (const s of freed) {
      if (!s.obsolete || s.refs > 0 || this.manifest.segments.some((m) => m.id === s.id)) continue;
      this.retired = this.retired.filter((r) => r !== s);
      await this.fs.unlink(`${this.dir}/${segmentFileName(s.id)}`).catch(() => undefined);
      if (s.delGen > 0) await this.fs.unlink(`${this.dir}/${deletionFileName(s.id, s.delGen)}`).catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------- merges

  private scheduleMerge(): void {
    if (!this.options.autoMerge || this.merging || this.closing || this.closed) return;
    const pick = pickMerge(
      this.segments.filter((s) => s.persisted),
      this.policy,
    );
    if (!pick) return;
    this.merging = this.runMerge(pick)
      .catch((e) => {
        this.backgroundError = e;
      })
      .finally(() => {
        this.merging = null;
        if (this.backgroundError === null) this.scheduleMerge();
      });
  }

  /**
   * Merges `sources` into one new segment while reads and writes go on, then swaps it in under the
   * commit lock, carrying over deletions that happened during the merge.
   */
  private async runMerge(sources: LiveSegment[]): Promise<void> {
    if (sources.length === 0) return;
    const snap = new Snapshot([], sources, (freed) => void this.removeRetiredFiles(freed).catch(() => undefined));
    try {
      const id = this.nextFileNumber++;
      const result = await mergeSegments(sources, this.bits, this.vocabSize, () => this.closing);
      if (!result || this.closing) return;
      const docs = result.input.ids.length;
      const built = docs > 0 ? await this.builds.build(result.input, id) : null;
      const merged = built ? LiveSegment.fromSections(id, built.sections, 0, undefined, false) : null;
      const path = `${this.dir}/${segmentFileName(id)}`;
      if (merged) {
        merged.fileBytes = await writeSegmentFile(this.fs, path, merged.toSections(), built!.checksums);
        merged.persisted = true;
      }
      await this.serialized(async () => {
        if (this.closed) return;
        sources.forEach((src, i) => {
          if (src.deleteVersion === result.readVersions[i]) return;
          const map = result.docMaps[i]!;
          for (let d = 0; d < src.numDocs; d++) if (map[d]! >= 0 && src.isDeleted(d)) merged!.deleteDoc(map[d]!);
        });
        const at = this.segments.indexOf(sources[0]!);
        this.segments = this.segments.filter((s) => !sources.includes(s));
        if (merged) this.segments.splice(Math.min(at, this.segments.length), 0, merged);
        for (const src of sources) {
          src.obsolete = true;
          src.refs--; // the view's reference
          this.retired.push(src);
        }
        await this.commitLocked();
      });
    } finally {
      snap.release();
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Flushes, stops background work, syncs, and releases the lock. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    let error: unknown = null;
    try {
      await this.idle();
      await this.serialized(() => this.flushLocked());
    } catch (e) {
      error = e; // the log still holds everything acknowledged; the next open replays it
    }
    await this.serialized(async () => {
      this.closed = true;
      this.detachEncoder();
      await this.wal.close().catch((e) => (error ??= e));
      await this.builds.close();
      await this.lock.release();
    });
    if (error) throw error;
  }

  private checkOpen(): void {
    if (this.closed || this.closing) throw new SparseDbError("CLOSED", `collection ${this.dir} is closed; open it again`);
  }
}

/** A length an encoder reported, as the log and the segments store it (u32 below NO_LENGTH). */
function checkLength(length: unknown, docIndex: number): number {
  if (typeof length === "number" && Number.isInteger(length) && length >= 0 && length < NO_LENGTH) return length;
  throw new SparseDbError("ENCODER_ERROR", `the encoder reported length ${String(length)} for document ${docIndex}; a document length must be an integer in 0..${NO_LENGTH - 1}`);
}
