import type { Filter } from "./filter.js";
import type { SparseVector } from "./sparse-vector.js";
import type { DenseInput } from "./dense/dense-input.js";
import type { FusionInput, RerankBy } from "./hybrid-search-options.js";

export type { DenseInput } from "./dense/dense-input.js";
export type { FusionInput, RerankBy } from "./hybrid-search-options.js";

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
  /**
   * Give a vector, a text (encoded by the collection's encoder), or both: a precomputed vector with
   * its text (stored as given; the text kept when the collection stores texts, not encoded).
   */
  vector?: VectorInput;
  text?: string;
  /**
   * Its dense vector, in a collection created with `dense: {dims, ...}`: exactly dims finite
   * numbers (a Float32Array or an array). Absent: the document is not in the dense leg. A
   * document may carry only a dense vector (its sparse vector is then empty).
   */
  dense?: DenseInput;
  /** A map of plain data (no cycles, at most 32 levels deep); its fields (nested ones by dotted path) can be filtered on. */
  metadata?: Record<string, unknown> | null;
}

export interface StoredDocument {
  id: string;
  vector: SparseVector;
  metadata?: unknown;
  /** The text it was upserted with, when the collection keeps texts (`storeText`) and the caller asked for it. */
  text?: string;
  /** Its dense vector as stored (a cosine collection's scaled to unit length), when it has one. */
  dense?: Float32Array;
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
// (withVectors false leaves the dense vector out as well.)

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

/**
 * What comes back with a hit or a document besides its id (and score, vector). Unknown keys are
 * refused (INVALID_ARGUMENT), so a misspelt one does not silently return everything.
 */
export interface IncludeOptions {
  /** The stored text, when there is one. Default: false for search hits, true for get. */
  text?: boolean;
  /**
   * true (default): all metadata; false: none (the `metadata` field is left out); a list of
   * field names: only those fields (the others left out of the map). A name is read as a filter
   * reads it: a key spelled exactly so, else a dotted path into nested maps ("source.site"),
   * which comes back nested ({source: {site}}).
   */
  metadata?: boolean | string[];
}

/** Options of `get` and `getMany`. */
export interface GetOptions {
  include?: IncludeOptions;
}

/**
 * A partial metadata update (`setMetadata`): a map of top-level fields, merged into the stored
 * metadata shallowly (a field given replaces the stored field whole); a field set to null is removed.
 */
export type MetadataPatch = Record<string, unknown>;

/** `delete({filter})`: deletes every live document whose metadata matches. */
export interface DeleteByFilter {
  filter: Filter;
}

export interface SearchRequest {
  /** Give at most one of `vector` and `text` (the sparse query), and/or `dense` (README "Hybrid search"). */
  vector?: VectorInput;
  text?: string;
  /** A dense query of the collection's dims: alone a dense search; with a sparse query, a hybrid one. */
  dense?: DenseInput;
  /** Hybrid: how the legs' candidates are fused ("rrf" by default); see hybrid-search-options.ts. */
  fusion?: FusionInput;
  /** Hybrid: candidates each leg retrieves (default max(4 x (offset + k), 20)). */
  prefetch?: number;
  /** Two-stage: "dense" re-orders the sparse leg's prefetch candidates by dense similarity; "sparse" the reverse. */
  rerank?: RerankBy;
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
  /** What each hit carries besides id and score: by default its metadata and not its text. */
  include?: IncludeOptions;
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
  /** Left out when the request's include.metadata is false. */
  metadata?: unknown;
  /** Present when the request's include.text is true and the document has a stored text. */
  text?: string;
  explain?: ExplainTerm[];
  /**
   * With explain, in a search with a dense query: each leg's rank (from 1) and score for this
   * hit, null for a leg that did not retrieve it; `score` is then the fused (or reranked) score.
   */
  legs?: { sparse: LegScore | null; dense: LegScore | null };
}

/** Where a hit stood in one leg of a hybrid search. */
export interface LegScore {
  rank: number;
  score: number;
}

/**
 * Search results: an array of hits. In mode "approximate" it also carries `expectedRecall`, the
 * recall@k the calibration measured for the parameters chosen (1 where it searched exactly). A
 * property of the array, so array copies (slice, map, spread) lose it, and the wire does not carry it.
 */
export type SearchHits = SearchHit[] & { expectedRecall?: number };
