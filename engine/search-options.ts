import { SparseDbError } from "./errors.js";
import { typeName } from "./type-name.js";

/**
 * The paging and score options of a search (README "Search options"):
 * - `offset`: skip the first `offset` hits of the ranking; hits offset..offset+k-1 come back.
 *   Retrieval runs with depth offset + k and drops the first offset, so a page is exactly the
 *   slice of one bigger search. The depth is bounded as k is (MAX_K; a server's maxK).
 * - `scoreThreshold`: only hits scoring >= the threshold (the score a hit reports: in mode
 *   "fast" the quantized one). Fewer than k hits come back when fewer reach it. The range search
 *   also prunes with it (engine/search/range-query.ts).
 */
export interface CheckedSearchOptions {
  offset: number;
  scoreThreshold?: number;
}

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", message);
}

/** Checks offset and scoreThreshold of a search whose k is already checked; `maxDepth` is MAX_K. */
export function checkSearchOptions(r: { offset?: unknown; scoreThreshold?: unknown }, k: number, maxDepth: number): CheckedSearchOptions {
  const out: CheckedSearchOptions = { offset: 0 };
  if (r.offset !== undefined && r.offset !== null) {
    const o = r.offset;
    if (typeof o !== "number") throw bad(`search: offset must be a number, got ${typeName(o)}`);
    if (!Number.isInteger(o) || o < 0) throw bad(`search: offset must be an integer >= 0, got ${o}`);
    if (o + k > maxDepth) {
      throw bad(`search: offset + k is ${o + k}; a search reaches at most ${maxDepth} hits deep (offset + k <= ${maxDepth}): page with a smaller offset, or narrow the query with a filter or scoreThreshold`);
    }
    out.offset = o;
  }
  if (r.scoreThreshold !== undefined && r.scoreThreshold !== null) {
    const t = r.scoreThreshold;
    if (typeof t !== "number") throw bad(`search: scoreThreshold must be a number, got ${typeName(t)}`);
    if (!Number.isFinite(t)) throw bad(`search: scoreThreshold must be a finite number, got ${t}`);
    out.scoreThreshold = t;
  }
  return out;
}
