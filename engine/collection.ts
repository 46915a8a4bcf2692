import type { Encoder } from "../encoder/index.js";
import { SparseDbError } from "./errors.js";
import type { CollectionCheck } from "./collection/verify-collection.js";
import type { CollectionConfig } from "./database/collection-config.js";
import type { DocumentInput, SearchHits, SearchRequest, StoredDocument } from "./requests.js";
import { checkDelete, checkEncode, checkId, checkSearch, checkUpsert, type CheckedDocument, type EncodeRole, type RequestContext } from "./validate-request.js";
import { encodeText, type EncodedText } from "./encode-text.js";
import type { CollectionBackend } from "./database/collection-backend.js";

/**
 * sparsedb's one public collection: what `db.collection(name)` and `db.createCollection(...)`
 * return. It checks every request by the rules of engine/validate-request.ts, hands it to its
 * storage (engine/collection/collection-store.ts, internal), and adds what storage does not know:
 * its name, its persisted configuration, its encoder, tokens in explanations.
 */
export class Collection {
  private closed = false;

  /** @internal Created by Database.createCollection / Database.collection. */
  constructor(
    readonly name: string,
    readonly config: CollectionConfig,
    private readonly store: CollectionBackend,
    readonly encoder: Encoder | undefined,
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

  /** Inserts or replaces documents by id; resolves once durable (per the durability mode). */
  async upsert(docs: DocumentInput[]): Promise<void> {
    this.checkOpen();
    const checked = checkUpsert(docs, this.requestContext());
    if (checked.length === 0) return;
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
    async function* checked(): AsyncGenerator<DocumentInput> {
      for await (const d of docs) yield toDocumentInput(checkUpsert([d], ctx)[0]!);
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

  /** Deletes documents by id; resolves to how many existed. */
  async delete(ids: string[]): Promise<number> {
    this.checkOpen();
    const checked = checkDelete(ids);
    if (checked.length === 0) return 0;
    return this.store.delete(checked);
  }

  async get(id: string): Promise<StoredDocument | null> {
    this.checkOpen();
    return (await this.store.get(checkId(id, "get"))) ?? null;
  }

  async count(): Promise<number> {
    this.checkOpen();
    return this.store.count();
  }

  async stats(): Promise<Record<string, unknown>> {
    this.checkOpen();
    const s = await this.store.stats();
    return { name: this.name, encoder: this.encoderDescription, ...(s !== null && typeof s === "object" ? s : { store: s }) };
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
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** What the request rules need of this collection: its vocabulary (term ids, tokens). */
  private requestContext(): RequestContext {
    return { vocabSize: this.vocabularySize, vocabulary: this.encoder?.vocabulary };
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new SparseDbError("CLOSED", `collection "${this.name}" is closed; get it again with database.collection("${this.name}")`);
    }
  }
}

/** A checked document as the store takes it (metadata null stays out). */
function toDocumentInput(d: CheckedDocument): DocumentInput {
  const out: DocumentInput = { id: d.id };
  if (d.vector !== undefined) out.vector = d.vector;
  if (d.text !== undefined) out.text = d.text;
  if (d.metadata !== null) out.metadata = d.metadata;
  return out;
}
