import type { Encoder } from "../../encoder/encoder.js";
import type { FileSystem } from "../../storage/file-system.js";
import type { CollectionCheck } from "../collection/verify-collection.js";
import type { Filter } from "../filter.js";
import type { SparseVector } from "../sparse-vector.js";

/**
 * What the Database needs of a stored collection (engine/collection.ts implements it): the
 * contract shared with the storage layer, written down here so that Database, server and client
 * agree on one set of shapes.
 */
export type Durability = "always" | "batch" | "off";
export type SearchMode = "exact" | "fast" | "approximate";

export interface DocumentInput {
  /** External id: a non-empty string. */
  id: string;
  /** A document vector, or `{termId: weight}`. Give `vector` or `text` (encoded by the collection's encoder). */
  vector?: SparseVector | Record<string, number>;
  text?: string;
  /** Any JSON object; its top-level fields can be filtered on. */
  metadata?: Record<string, unknown>;
}

export interface StoredDocument {
  id: string;
  vector: SparseVector;
  metadata?: unknown;
}

export interface SearchRequest {
  vector?: SparseVector | Record<string, number>;
  text?: string;
  k: number;
  /**
   * "exact" (default): the true top-k by float dot product; "fast": top-k by quantized scores;
   * "approximate": float scores, ranges pruned harder, tuned to reach `recall`.
   */
  mode?: SearchMode;
  /** Mode "approximate": the recall@k to reach, 0.8..0.999 (default 0.95). */
  recall?: number;
  algorithm?: string;
  filter?: Filter;
  explain?: boolean;
}

export interface ExplainTerm {
  termId: number;
  token?: string;
  queryWeight: number;
  docWeight: number;
  contribution: number;
}

export interface SearchHit {
  id: string;
  score: number;
  metadata: unknown;
  explain?: ExplainTerm[];
}

/**
 * Search results: an array of hits. In mode "approximate" it also carries `expectedRecall`, the
 * recall@k the engine's calibration expects for the parameters it chose (1 when it searched
 * exactly). A property of the array, so it is lost by array copies (slice, map, spread).
 */
export type SearchHits = SearchHit[] & { expectedRecall?: number };

export interface CollectionStoreOptions {
  bits?: number;
  durability?: Durability;
  batchIntervalMs?: number;
  memtableMaxDocs?: number;
  encoder?: Encoder;
  create?: boolean;
  /** Keep a damaged log's valid prefix instead of refusing to open (see Collection's repairWal). */
  repairWal?: boolean;
  /** The file-system layer the database uses. */
  fs?: FileSystem;
}

export interface CollectionStore {
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
  /** Checks the collection's files on disk (optional: a backend without files has none to check). */
  verify?(): Promise<CollectionCheck>;
}

export type CollectionOpener = (dir: string, options: CollectionStoreOptions) => Promise<CollectionStore>;
