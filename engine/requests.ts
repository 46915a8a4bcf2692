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
 * form), `{tokens: {token: weight}}` (WordPiece tokens, resolved through the collection's
 * vocabulary), or a map `{termId: weight}` with decimal term ids as keys.
 */
export type VectorInput = SparseVector | { terms: ArrayLike<number>; weights: ArrayLike<number> } | { tokens: Record<string, number> } | Record<string, number>;

/** One document of an upsert. */
export interface DocumentInput {
  /** External id: a string of 1..1024 characters (MAX_ID_LENGTH). */
  id: string;
  /** Give exactly one of `vector` and `text` (encoded by the collection's encoder). */
  vector?: VectorInput;
  text?: string;
  /** A map of plain data (no cycles, at most 32 levels deep); its top-level fields can be filtered on. */
  metadata?: Record<string, unknown> | null;
}

export interface StoredDocument {
  id: string;
  vector: SparseVector;
  metadata?: unknown;
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
