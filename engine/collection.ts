import type { DenseEncoder, Encoder } from "../encoder/index.js";
import { SparseDbError } from "./errors.js";
import type { CollectionCheck } from "./collection/verify-collection.js";
import type { CollectionConfig } from "./database/collection-config.js";
import type { DeleteByFilter, DocumentInput, GetOptions, MetadataPatch, ScrollPage, ScrollRequest, SearchHits, SearchRequest, StoredDocument } from "./requests.js";
import { checkScroll } from "./scroll-request.js";
import { checkDelete, checkDeleteByFilter, checkEncode, checkFilter, checkGetMany, checkId, checkInclude, checkMetadataPatch, checkSearch, checkUpsert, type CheckedDocument, type CheckedInclude, type EncodeRole, type RequestContext } from "./validate-request.js";
import type { BackendDocument, CollectionBackend } from "./database/collection-backend.js";
import { checkSearchBatch } from "./validate-search-batch.js";
import type { Filter } from "./filter.js";
import { addIncluded } from "./include-fields.js";
import { encodeText, type EncodedText } from "./encode-text.js";
import type { Vocabulary } from "./vocabulary.js";

/**
 * sparsedb's one public collection: what `db.collection(name)` and `db.createCollection(...)`
 * return. It checks every request by the rules of engine/validate-request.ts, hands it to its
 * storage (engine/collection/collection-store.ts, internal), and adds what storage does not know:
 * its name, its persisted configuration, its encoder, tokens in explanations, and, where its
 * dense config names a text encoder, the dense vectors of text upserts and text searches.
 */
export class Collection {
  private closed = false;

  /** @internal Created by Database.createCollection / Database.collection. */
  constructor(
    readonly name: string,
    readonly config: CollectionConfig,
    private readonly store: CollectionBackend,
    readonly encoder: Encoder | undefined,
    /** The dense text encoder of `config.dense.encoder`, or undefined when dense vectors come only from callers. */
    readonly denseEncoder: DenseEncoder | undefined,
    private readonly hooks: { onClose(): void },
  ) {}

  /** One line saying how text becomes vectors here, e.g. "lexical BM25 (no SPLADE model configured) ...". */
  get encoderDescription(): string {
    return this.encoder?.description ?? "none (vectors only)";
  }

  /** Term ids are below this. */
  get vocabularySize(): number | undefined {
    return this.encoder?.vocabulary.size;
  }

  /**
   * The collection's vocabulary (token <-> term id), or undefined when its encoder has none (a
   * vectors-only collection). It is what token-keyed vectors (`{tokens: {...}}`) resolve through;
   * callers that parse token vectors themselves (the CLI's ingest and query files) use it to name
   * a bad line before anything is sent. RemoteCollection fetches the same from a server.
   */
  async vocabulary(): Promise<Vocabulary | undefined> {
    this.checkOpen();
    return this.encoder?.vocabulary;
  }

  /** Inserts or replaces documents by id; resolves once durable (per the durability mode). */
  async upsert(docs: DocumentInput[]): Promise<void> {
    this.checkOpen();
    const checked = checkUpsert(docs, this.requestContext());
    if (checked.length === 0) return;
    await this.addDenseFromText(checked);
    await this.store.upsert(checked.map(toDocumentInput));
  }

  /**
   * Loads a stream of documents (e.g. a file of precomputed vectors) straight into segments,
   * without the write-ahead log: every `segmentDocs` documents become a segment, durable once
   * its manifest commit returns, and `onCommit` is told the count durable so far after each.
   * An id already present is replaced, as by upsert. Other writes wait until the load ends.
   * A crash leaves the documents reported by onCommit (in stream order, a prefix). Resolves to
   * the number of documents loaded.
   */
  async bulkLoad(docs: AsyncIterable<DocumentInput>, options: { segmentDocs?: number; onCommit?: (p: { committedDocs: number }) => void } = {}): Promise<number> {
    this.checkOpen();
    const ctx = this.requestContext();
    const self = this;
    async function* checked(): AsyncGenerator<DocumentInput> {
      if (self.denseEncoder === undefined) {
        for await (const d of docs) yield toDocumentInput(checkUpsert([d], ctx)[0]!);
        return;
      }
      // Dense vectors from text are encoded a batch at a time (the pool's batches fill up).
      let batch: CheckedDocument[] = [];
      const flush = async function* () {
        await self.addDenseFromText(batch);
        for (const d of batch) yield toDocumentInput(d);
        batch = [];
      };
      for await (const d of docs) {
        batch.push(checkUpsert([d], ctx)[0]!);
        if (batch.length >= DENSE_BULK_BATCH) yield* flush();
      }
      yield* flush();
    }
    if (this.store.bulkLoad) return this.store.bulkLoad(checked(), options);
    // A backend without segments of its own: upserts, a segment's worth at a time.
    let batch: DocumentInput[] = [], done = 0;
    const size = options.segmentDocs ?? 1024;
    for await (const d of checked()) {
      batch.push(d);
      if (batch.length >= size) {
        await this.store.upsert(batch);
        options.onCommit?.({ committedDocs: (done += batch.length) });
        batch = [];
      }
    }
    if (batch.length > 0) {
      await this.store.upsert(batch);
      options.onCommit?.({ committedDocs: (done += batch.length) });
    }
    return done;
  }

  /**
   * Deletes documents by id, or with `{filter}` every live document whose metadata matches (an
   * empty filter `{}` matches all); resolves to how many existed. Either is logged as deletes by
   * id, so both are durable alike.
   */
  async delete(ids: string[]): Promise<number>;
  async delete(request: DeleteByFilter): Promise<number>;
  async delete(target: string[] | DeleteByFilter): Promise<number> {
    this.checkOpen();
    if (isFilterRequest(target)) {
      const filter = checkDeleteByFilter(target);
      return this.required("deleteByFilter", this.store.deleteByFilter).call(this.store, filter);
    }
    const checked = checkDelete(target);
    if (checked.length === 0) return 0;
    return this.store.delete(checked);
  }

  /** The document, with its metadata and stored text (`include` chooses), or null. */
  async get(id: string, options: GetOptions = {}): Promise<StoredDocument | null> {
    this.checkOpen();
    const checkedId = checkId(id, "get");
    const include = checkInclude(options?.include, "get", { text: true });
    const doc = (await this.store.get(checkedId)) ?? null;
    return doc === null ? null : withInclude(doc, include);
  }

  /**
   * One page of the live documents in external-id order, as Qdrant's scroll: pass each page's
   * `nextCursor` to get the next (null: the end). The cursor is the last id returned, so documents
   * written behind it are not seen, those ahead of it are, none comes twice, deleted ones do not
   * come. Also serves `sparsedb export`.
   */
  async scroll(request: ScrollRequest): Promise<ScrollPage> {
    this.checkOpen();
    checkScroll(request);
    return this.store.scroll(request);
  }

  /** The documents of `ids`, in request order, null for an id not found (duplicates answered each). */
  async getMany(ids: string[], options: GetOptions = {}): Promise<(StoredDocument | null)[]> {
    this.checkOpen();
    const checked = checkGetMany(ids);
    const include = checkInclude(options?.include, "getMany", { text: true });
    const docs = this.store.getMany ? await this.store.getMany(checked) : await Promise.all(checked.map(async (id) => (await this.store.get(id)) ?? null));
    return docs.map((d) => (d === null ? null : withInclude(d, include)));
  }

  /** Live documents; with a filter, those whose metadata matches it. */
  async count(filter?: Filter): Promise<number> {
    this.checkOpen();
    if (filter === undefined || filter === null) return this.store.count();
    return this.store.count(checkFilter(filter, "count"));
  }

  /**
   * Merges `patch` into the document's metadata (top-level fields; a field set to null is
   * removed) without resending its vector; its vector and stored text stay. NOT_FOUND when the
   * id has no document. Durable as an upsert is.
   */
  async setMetadata(id: string, patch: MetadataPatch): Promise<void> {
    this.checkOpen();
    const checkedId = checkId(id, "setMetadata");
    const checkedPatch = checkMetadataPatch(patch);
    await this.required("setMetadata", this.store.setMetadata).call(this.store, checkedId, checkedPatch);
  }

  async stats(): Promise<Record<string, unknown>> {
    this.checkOpen();
    const s = await this.store.stats();
    const dense = this.denseEncoder === undefined ? {} : { denseEncoder: this.denseEncoder.description };
    return { name: this.name, encoder: this.encoderDescription, ...dense, ...(s !== null && typeof s === "object" ? s : { store: s }) };
  }

  async flush(): Promise<void> {
    this.checkOpen();
    await this.store.flush();
  }

  /**
   * Waits until every write acknowledged so far is on disk (its log record written and fsynced).
   * With durability "always" that is already so; with "batch" or "off" this is how to learn it
   * without building a segment (flush).
   */
  async sync(): Promise<void> {
    this.checkOpen();
    await this.store.sync();
  }

  /** @internal Database.verify: this open collection's file check, or null when its backend has no files to check. */
  async verifyFiles(): Promise<CollectionCheck | null> {
    this.checkOpen();
    return this.store.verify ? this.store.verify() : null;
  }

  async search(request: SearchRequest): Promise<SearchHits> {
    this.checkOpen();
    const checked = checkSearch(request, this.requestContext());
    // A text query without its own dense query gets one from the dense text encoder: both legs,
    // fused as the check decided (the request's fusion, else rrf). `vector` alone stays sparse-only.
    if (checked.text !== undefined && checked.dense === undefined && this.denseEncoder !== undefined) {
      checked.dense = await this.denseEncoder.encodeQuery(checked.text);
    }
    const hits = await this.store.search(checked);
    if (checked.explain && this.encoder !== undefined) {
      const tokens = this.encoder.vocabulary.tokens;
      for (const hit of hits) {
        for (const e of hit.explain ?? []) if (e.token === undefined && tokens[e.termId] !== undefined) e.token = tokens[e.termId];
      }
    }
    return hits;
  }

  /**
   * Several searches in one call: the results in the order of the requests. Every request is
   * checked before any runs (an error names the index of the bad one: "searchBatch: request 2:
   * ..."); an empty array is refused.
   */
  async searchBatch(requests: SearchRequest[]): Promise<SearchHits[]> {
    this.checkOpen();
    const checked = checkSearchBatch(requests, this.requestContext());
    return Promise.all(checked.map((r) => this.search(r)));
  }

  /**
   * The sparse vector this collection's encoder makes of `text` (role "document", the default, as
   * an upsert would; "query" as a search would), as WordPiece tokens and weights, heaviest first,
   * with the count of non-zeros; for SPLADE, which tokens are expansion terms not in the text.
   * Stores nothing.
   */
  async encode(text: string, options: { role?: EncodeRole } = {}): Promise<EncodedText> {
    this.checkOpen();
    const r = checkEncode(text, options);
    return encodeText(this.encoder, r.text, r.role);
  }

  /** Flushes and closes; Database.collection(name) opens it again. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hooks.onClose();
    try {
      await this.store.close();
    } finally {
      await this.encoder?.close();
      await this.denseEncoder?.close();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private required<F>(name: string, method: F | undefined): F {
    if (method === undefined) throw new SparseDbError("UNAVAILABLE", `collection "${this.name}": its storage does not support ${name}`);
    return method;
  }

  /** What the request rules need of this collection: its vocabulary (term ids, tokens), its dense vectors. */
  private requestContext(): RequestContext {
    return { vocabSize: this.vocabularySize, vocabulary: this.encoder?.vocabulary, dense: this.denseContext };
  }

  /** The request rules' view of the dense vectors: their length and whether text gets one (a server checks with it too). */
  get denseContext(): { dims: number; fromText: boolean } | null {
    return this.config.dense === undefined ? null : { dims: this.config.dense.dims, fromText: this.denseEncoder !== undefined };
  }

  /**
   * Gives each document whose text is encoded (no vector of its own) and that brings no dense
   * vector one from the dense text encoder, role "document". A document with a precomputed
   * sparse vector keeps its text only, as for the sparse encoder.
   */
  private async addDenseFromText(docs: CheckedDocument[]): Promise<void> {
    if (this.denseEncoder === undefined) return;
    const todo = docs.filter((d) => d.text !== undefined && d.vector === undefined && d.tokens === undefined && d.dense === undefined);
    if (todo.length === 0) return;
    const vectors = await this.denseEncoder.encode(todo.map((d) => d.text!), "document");
    todo.forEach((d, i) => (d.dense = vectors[i]));
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new SparseDbError("CLOSED", `collection "${this.name}" is closed; get it again with database.collection("${this.name}")`);
    }
  }
}

/** Documents a bulk load encodes dense vectors for at a time. */
const DENSE_BULK_BATCH = 256;

/** A stored document as `include` asks for it (metadata: all, some fields or none; text or not). */
function withInclude(doc: BackendDocument, include: CheckedInclude): StoredDocument {
  const out: StoredDocument = { id: doc.id, vector: doc.vector };
  addIncluded(out, include, () => doc.metadata ?? null, () => doc.text ?? null);
  if (doc.dense !== undefined) out.dense = doc.dense;
  return out;
}

/** A checked document as the store takes it (metadata null stays out). */
function toDocumentInput(d: CheckedDocument): DocumentInput {
  const out: DocumentInput = { id: d.id };
  if (d.vector !== undefined) out.vector = d.vector;
  if (d.text !== undefined) out.text = d.text;
  if (d.dense !== undefined) out.dense = d.dense;
  if (d.metadata !== null) out.metadata = d.metadata;
  return out;
}

/** delete's argument is `{filter}` when it is a map (anything else is checked as an array of ids). */
function isFilterRequest(x: unknown): x is DeleteByFilter {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !ArrayBuffer.isView(x);
}
