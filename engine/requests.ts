import type { Filter } from "./filter.js";
import type { SparseVector } from "./sparse-vector.js";

/**
 * The one set of request and result shapes: the library's Collection, the server's operations,
 * the TCP client and the CLI all take and return these. engine/validate-request.ts checks them,
 * for every entry point alike.
 */

export type Durability = "always" | "batch" | "off";

/**
 * "exact" (default): the true top-k by float dot product; "fast": top-k by the quantized score;
 * "approximate": float scores, ranges pruned harder, as far as the collection's calibration says
 * still reaches `recall` (engine/search/approximate-calibration.ts).
 */
export type SearchMode = "exact" | "fast" | "approximate";

/**
 * A vector as requests give it: a SparseVector, parallel arrays `{terms, weights}` (the wire's
 * form), or a map `{termId: weight}` with decimal term ids as keys.
 */
export type VectorInput = SparseVector | { terms: ArrayLike<number>; weights: ArrayLike<number> } | Record<string, number>;

/** One document of an upsert. */
export interface DocumentInput {
  /** External id: a string of 1..1024 characters (MAX_ID_LENGTH). */
  id: string;
  /** Give exactly one of `vector` and `text` (encoded by the collection's encoder). */
  vector?: VectorInput;
  text?: string;
  /** A map of plain data (no cycles, at most 32 levels deep); its fields (nested ones by dotted path) can be filtered on. */
  metadata?: Record<string, unknown> | null;
}

export interface StoredDocument {
  id: string;
  vector: SparseVector;
  metadata?: unknown;
  /** The document's text, where the collection stores texts. */
  text?: string;
}

/**
 * One page of a paged listing of the live documents (Collection.scroll), in external-id order
 * (UTF-16 code units). `cursor` is a previous page's `nextCursor`, unchanged (absent: from the
 * first id); `limit` an integer in 1..MAX_SCROLL_LIMIT; `filter` as search's; `withVectors`
 * (default true) false leaves vectors out.
 */
export interface ScrollRequest {
  limit: number;
  cursor?: string;
  filter?: Filter;
  withVectors?: boolean;
}

/** A document of a scroll page: a StoredDocument, without `vector` when the request said withVectors: false. */
export type ScrolledDocument = Omit<StoredDocument, "vector"> & { vector?: SparseVector };

/**
 * A scroll page: its documents in id order, and the cursor of the next page, or null at the end.
 * The cursor stands for "after the last id returned": a later page sees the documents live at
 * its own time whose ids sort after it, so no id comes twice, deletions are respected, and
 * documents written behind the cursor are not seen (those ahead of it are).
 */
export interface ScrollPage {
  documents: ScrolledDocument[];
  nextCursor: string | null;
}

export interface SearchRequest {
  /** Give exactly one of `vector` and `text`. */
  vector?: VectorInput;
  text?: string;
  /** Hits to return: an integer in 1..10000 (MAX_K); a server may allow fewer (its maxK). */
  k: number;
  mode?: SearchMode;
  /** Mode "approximate": the recall@k to reach, 0.8..0.999 (default 0.95). */
  recall?: number;
  /** One of ALGORITHMS (engine/search/search.ts); the default is the fastest rank-safe one. */
  algorithm?: string;
  filter?: Filter;
  explain?: boolean;
  /** Skip this many hits of the ranking (paging): hits offset..offset+k-1 come back; offset + k <= MAX_K (a server's maxK). */
  offset?: number;
  /** Only hits whose score is >= this finite number (mode "fast": the quantized score); fewer than k when fewer reach it. */
  scoreThreshold?: number;
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
 * recall@k the calibration measured for the parameters chosen (1 where it searched exactly). A
 * property of the array, so array copies (slice, map, spread) lose it, and the wire does not carry it.
 */
export type SearchHits = SearchHit[] & { expectedRecall?: number };
