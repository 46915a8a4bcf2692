import type { Encoder } from "../../encoder/index.js";
import type { FileSystem } from "../../storage/file-system.js";
import type { CollectionCheck } from "../collection/verify-collection.js";
import type { Metric } from "../similarity-metric.js";

import type { Durability, DocumentInput, SearchHits, SearchRequest, StoredDocument } from "../requests.js";

export type { Durability, DocumentInput, SearchHit, SearchHits, SearchRequest, StoredDocument, ExplainTerm, SearchMode } from "../requests.js";

/**
 * What the public Collection needs of its storage (engine/collection/collection-store.ts implements it; tests
 * substitute their own). The request and result shapes are engine/requests.ts's.
 */
export interface CollectionBackendOptions {
  bits?: number;
  durability?: Durability;
  batchIntervalMs?: number;
  memtableMaxDocs?: number;
  /** "cosine": the store scales document and query vectors to unit length (engine/similarity-metric.ts). */
  metric?: Metric;
  encoder?: Encoder;
  create?: boolean;
  /** Keep a damaged log's valid prefix instead of refusing to open (see CollectionStore's repairWal). */
  repairWal?: boolean;
  /** The file-system layer the database uses. */
  fs?: FileSystem;
}

export interface CollectionBackend {
  upsert(docs: DocumentInput[]): Promise<void>;
  delete(ids: string[]): Promise<number>;
  get(id: string): StoredDocument | undefined | null | Promise<StoredDocument | undefined | null>;
  count(): number | Promise<number>;
  stats(): unknown;
  flush(): Promise<void>;
  /** Resolves once every acknowledged write is on disk (log written and fsynced). */
  sync(): Promise<void>;
  close(): Promise<void>;
  search(request: SearchRequest): Promise<SearchHits>;
  /**
   * Loads documents straight into segments (no write-ahead log); onCommit gets the count durable
   * so far after each segment commit. Optional: Collection.bulkLoad falls back to upserts.
   */
  bulkLoad?(docs: AsyncIterable<DocumentInput>, options: { segmentDocs?: number; onCommit?: (p: { committedDocs: number }) => void }): Promise<number>;
  /** Checks the collection's files on disk (optional: a backend without files has none to check). */
  verify?(): Promise<CollectionCheck>;
}

export type CollectionOpener = (dir: string, options: CollectionBackendOptions) => Promise<CollectionBackend>;
