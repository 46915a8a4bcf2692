import type { Encoder } from "../../encoder/encoder.js";
import { SparseDbError } from "../errors.js";
import type { CollectionCheck } from "../collection/verify-collection.js";
import type { CollectionConfig } from "./collection-config.js";
import type { CollectionStore, DocumentInput, SearchHits, SearchRequest, StoredDocument } from "./collection-store.js";

/**
 * A collection as the Database hands it out: the stored collection plus its name, its persisted
 * configuration and its encoder. It adds what the storage layer does not know: tokens in
 * explanations (through the encoder's vocabulary).
 */
export class DatabaseCollection {
  private closed = false;

  /** @internal Created by Database.createCollection / Database.collection. */
  constructor(
    readonly name: string,
    readonly config: CollectionConfig,
    private readonly store: CollectionStore,
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

  async upsert(docs: DocumentInput[]): Promise<void> {
    this.checkOpen();
    if (!Array.isArray(docs)) throw new SparseDbError("INVALID_ARGUMENT", "upsert takes an array of documents [{id, vector | text, metadata?}]");
    if (docs.length === 0) return;
    await this.store.upsert(docs);
  }

  async delete(ids: string[]): Promise<number> {
    this.checkOpen();
    if (!Array.isArray(ids)) throw new SparseDbError("INVALID_ARGUMENT", "delete takes an array of document ids");
    if (ids.length === 0) return 0;
    return this.store.delete(ids);
  }

  async get(id: string): Promise<StoredDocument | null> {
    this.checkOpen();
    return (await this.store.get(id)) ?? null;
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
    if (request === null || typeof request !== "object") {
      throw new SparseDbError("INVALID_ARGUMENT", "search takes an object {vector | text, k, filter?, mode?, recall?, explain?}");
    }
    const hits = await this.store.search(request);
    if (request.explain && this.encoder !== undefined) {
      const tokens = this.encoder.vocabulary.tokens;
      for (const hit of hits) {
        for (const e of hit.explain ?? []) if (e.token === undefined && tokens[e.termId] !== undefined) e.token = tokens[e.termId];
      }
    }
    return hits;
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

  private checkOpen(): void {
    if (this.closed) {
      throw new SparseDbError("CLOSED", `collection "${this.name}" is closed; get it again with database.collection("${this.name}")`);
    }
  }
}
