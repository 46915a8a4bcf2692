import { SparseDbError } from "./errors.js";
import { typeName } from "./type-name.js";
import { checkFusion, type Fusion } from "./dense/fusion.js";

/**
 * The hybrid options of a search (README "Hybrid search"), given with a dense query:
 * - `fusion` (a sparse and a dense query, no rerank): how the two legs' candidates become one
 *   ranking. "rrf" (reciprocal rank fusion, k = 60) or {rrf: {k}}; "dbsf" (distribution-based
 *   score fusion, Qdrant's: each leg's scores normalised by mean +- 3 standard deviations, summed);
 *   {linear: {sparse, dense}}: weights on min-max normalised scores. Default "rrf".
 * - `prefetch`: candidates each leg retrieves (or the first stage of a rerank), at least the
 *   depth offset + k; default max(4 x depth, 20), at most MAX_K.
 * - `rerank`: "dense": the sparse leg's prefetch candidates re-ordered by exact dense similarity
 *   (candidates without a dense vector drop out); "sparse": the dense leg's, re-ordered by the
 *   exact sparse dot product.
 */
export type FusionInput = Fusion;
/** A checked fusion (engine/dense/fusion.ts's checkFusion), as given: it checks again unchanged. */
export type CheckedFusion = Fusion;

export type RerankBy = "dense" | "sparse";

/** The fewest candidates a leg retrieves by default. */
export const MIN_DEFAULT_PREFETCH = 20;

export interface CheckedHybridOptions {
  fusion?: CheckedFusion;
  prefetch?: number;
  rerank?: RerankBy;
}

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", `search: ${message}`);
}

function absent(x: unknown): boolean {
  return x === undefined || x === null;
}

/**
 * Checks fusion, prefetch and rerank of a search whose legs are known: `sparse` (a vector or a
 * text) and `dense` (a dense query, or one the collection encodes from the text); `depth` is
 * offset + k, `maxDepth` MAX_K. `dense: "unknown"` (a client, which does not know whether the
 * collection encodes dense vectors from text): the options are checked but no default is filled in.
 */
export function checkHybridOptions(r: { fusion?: unknown; prefetch?: unknown; rerank?: unknown }, legs: { sparse: boolean; dense: boolean | "unknown" }, depth: number, maxDepth: number): CheckedHybridOptions {
  const out: CheckedHybridOptions = {};
  const hybrid = legs.sparse && legs.dense !== false;
  if (!absent(r.rerank)) {
    if (r.rerank !== "dense" && r.rerank !== "sparse") throw bad(`rerank must be "dense" or "sparse", got ${typeof r.rerank === "string" ? JSON.stringify(r.rerank) : typeName(r.rerank)}`);
    if (!hybrid) throw bad(`rerank "${r.rerank}" needs both a sparse query (vector or text) and a dense query (dense): one stage retrieves, the other re-orders`);
    out.rerank = r.rerank;
  }
  if (!absent(r.fusion)) {
    if (!hybrid) throw bad("fusion needs both a sparse query (vector or text) and a dense query (dense) to fuse");
    if (out.rerank !== undefined) throw bad("give fusion or rerank, not both: a rerank re-orders one leg's candidates, it fuses nothing");
    out.fusion = checkFusion(r.fusion, "search: fusion");
  } else if (hybrid && legs.dense === true && out.rerank === undefined) out.fusion = "rrf";
  if (!absent(r.prefetch)) {
    const p = r.prefetch;
    if (!hybrid) throw bad("prefetch needs both a sparse query (vector or text) and a dense query (dense): it is how many candidates each leg retrieves");
    if (typeof p !== "number") throw bad(`prefetch must be a number, got ${typeName(p)}`);
    if (!Number.isInteger(p) || p < depth || p > maxDepth) throw bad(`prefetch must be an integer in ${depth}..${maxDepth} (at least offset + k, ${depth}), got ${p}`);
    out.prefetch = p;
  }
  return out;
}

/**
 * The candidates each leg retrieves when the request gives no prefetch: max(4 x depth, 20), at
 * most MAX_K. Filled in by the collection that searches, not by the check, so a client does not
 * send a default a server's smaller maxK would refuse.
 */
export function defaultPrefetch(depth: number, maxDepth: number): number {
  return Math.min(maxDepth, Math.max(4 * depth, MIN_DEFAULT_PREFETCH, depth));
}
