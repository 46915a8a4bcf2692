import type { Encoder } from "../../encoder/index.js";
import type { FileSystem } from "../../storage/file-system.js";
import type { CollectionCheck } from "../collection/verify-collection.js";
import type { Metric } from "../similarity-metric.js";
import type { DenseConfigInput } from "../dense/dense-config.js";

import type { Filter } from "../filter.js";
import type { Durability, DocumentInput, ScrollPage, ScrollRequest, SearchHits, SearchRequest, StoredDocument } from "../requests.js";

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
  /** Keep text upserts' texts (the collection config's storeText). */
  storeText?: boolean;
  /** The collection's dense vectors (the collection config's dense), absent: none. */
  dense?: DenseConfigInput;
}

/** A document as a backend returns it: StoredDocument with its stored text (null or absent: none). */
export type BackendDocument = Omit<StoredDocument, "text"> & { text?: string | null };

export interface CollectionBackend {
  upsert(docs: DocumentInput[]): Promise<void>;
  delete(ids: string[]): Promise<number>;
  get(id: string): BackendDocument | undefined | null | Promise<BackendDocument | undefined | null>;
  /** The documents of `ids` in their order, null where none (optional: Collection falls back to get per id). */
  getMany?(ids: string[]): Promise<(BackendDocument | null)[]>;
  /** Live documents; with a filter, those whose metadata matches it. */
  count(filter?: Filter): number | Promise<number>;
  /** Deletes every live document matching; resolves to how many (optional). */
  deleteByFilter?(filter: Filter): Promise<number>;
  /** Merges a patch into a document's metadata, keeping its vector and text; NOT_FOUND when missing (optional). */
  setMetadata?(id: string, patch: Record<string, unknown>): Promise<void>;
  stats(): unknown;
  flush(): Promise<void>;
  /** Resolves once every acknowledged write is on disk (log written and fsynced). */
  sync(): Promise<void>;
  close(): Promise<void>;
  search(request: SearchRequest): Promise<SearchHits>;
  /** One page of the live documents in external-id order (requests.ts's ScrollPage says what the cursor guarantees). */
  scroll(request: ScrollRequest): ScrollPage | Promise<ScrollPage>;
  /**
   * Loads documents straight into segments (no write-ahead log); onCommit gets the count durable
   * so far after each segment commit. Optional: Collection.bulkLoad falls back to upserts.
   */
  bulkLoad?(docs: AsyncIterable<DocumentInput>, options: { segmentDocs?: number; onCommit?: (p: { committedDocs: number }) => void }): Promise<number>;
  /** Checks the collection's files on disk (optional: a backend without files has none to check). */
  verify?(): Promise<CollectionCheck>;
}

export type CollectionOpener = (dir: string, options: CollectionBackendOptions) => Promise<CollectionBackend>;
