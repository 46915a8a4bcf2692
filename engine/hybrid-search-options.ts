import { SparseDbError } from "./errors.js";
import { typeName } from "./type-name.js";

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
export type FusionInput = "rrf" | "dbsf" | { rrf: { k?: number } } | { linear: { sparse: number; dense: number } };

/** A checked fusion: the input form with defaults filled in (so it checks again unchanged). */
export type CheckedFusion = { rrf: { k: number } } | "dbsf" | { linear: { sparse: number; dense: number } };

export type RerankBy = "dense" | "sparse";

export const DEFAULT_RRF_K = 60;
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

function isMap(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

const FUSIONS = '"rrf", {rrf: {k}}, "dbsf" or {linear: {sparse, dense}}';

function checkFusion(f: unknown): CheckedFusion {
  if (f === "rrf") return { rrf: { k: DEFAULT_RRF_K } };
  if (f === "dbsf") return "dbsf";
  if (!isMap(f)) throw bad(`fusion must be ${FUSIONS}, got ${typeof f === "string" ? JSON.stringify(f) : typeName(f)}`);
  const keys = Object.keys(f);
  if (keys.length !== 1 || (keys[0] !== "rrf" && keys[0] !== "linear")) throw bad(`fusion must be ${FUSIONS}, got a map with ${keys.map((k) => JSON.stringify(k)).join(", ") || "no keys"}`);
  if (keys[0] === "rrf") {
    const o = f.rrf;
    if (!absent(o) && !isMap(o)) throw bad(`fusion.rrf must be a map {k?}, got ${typeName(o)}`);
    const k = absent(o) ? undefined : (o as Record<string, unknown>).k;
    if (absent(k)) return { rrf: { k: DEFAULT_RRF_K } };
    if (typeof k !== "number" || !Number.isFinite(k) || k < 0) throw bad(`fusion.rrf.k must be a finite number >= 0 (60 by default), got ${typeof k === "number" ? k : typeName(k)}`);
    return { rrf: { k } };
  }
  const o = f.linear;
  if (!isMap(o)) throw bad(`fusion.linear must be a map {sparse, dense} of weights, got ${typeName(o)}`);
  const out = { sparse: 0, dense: 0 };
  for (const leg of ["sparse", "dense"] as const) {
    const w = o[leg];
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) throw bad(`fusion.linear.${leg} must be a finite weight >= 0, got ${typeof w === "number" ? w : typeName(w)}`);
    out[leg] = w;
  }
  if (out.sparse === 0 && out.dense === 0) throw bad("fusion.linear: the weights sparse and dense are both 0; give at least one a positive weight");
  return { linear: out };
}

/**
 * Checks fusion, prefetch and rerank of a search whose legs are known: `sparse` (a vector or a
 * text) and `dense` (a dense query); `depth` is offset + k, `maxDepth` MAX_K.
 */
export function checkHybridOptions(r: { fusion?: unknown; prefetch?: unknown; rerank?: unknown }, legs: { sparse: boolean; dense: boolean }, depth: number, maxDepth: number): CheckedHybridOptions {
  const out: CheckedHybridOptions = {};
  const hybrid = legs.sparse && legs.dense;
  if (!absent(r.rerank)) {
    if (r.rerank !== "dense" && r.rerank !== "sparse") throw bad(`rerank must be "dense" or "sparse", got ${typeof r.rerank === "string" ? JSON.stringify(r.rerank) : typeName(r.rerank)}`);
    if (!hybrid) throw bad(`rerank "${r.rerank}" needs both a sparse query (vector or text) and a dense query (dense): one stage retrieves, the other re-orders`);
    out.rerank = r.rerank;
  }
  if (!absent(r.fusion)) {
    if (!hybrid) throw bad("fusion needs both a sparse query (vector or text) and a dense query (dense) to fuse");
    if (out.rerank !== undefined) throw bad("give fusion or rerank, not both: a rerank re-orders one leg's candidates, it fuses nothing");
    out.fusion = checkFusion(r.fusion);
  } else if (hybrid && out.rerank === undefined) out.fusion = { rrf: { k: DEFAULT_RRF_K } };
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
