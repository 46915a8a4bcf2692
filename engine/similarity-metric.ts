import { SparseVector } from "./sparse-vector.js";

/**
 * How a collection compares vectors, chosen at creation: "dot" (the default) ranks by the dot
 * product of the vectors as given; "cosine" by the cosine of the angle between them.
 *
 * Cosine is the dot product of unit vectors, so a cosine collection scales every document vector
 * to unit L2 norm once, when it is written (CollectionStore: every write path, before the log
 * record is made), and every query vector when it is searched. Everything downstream (the
 * memtable, segments, quantization, every search algorithm and mode, merges) then works on dot
 * products as always and keeps its guarantees, now for the cosine ranking: exact mode returns the
 * exact cosine top-k.
 *
 * A zero vector (no non-zero weight: an empty text, or weights all zero) has no direction. It is
 * left empty, not an error: an empty document is stored and is never a hit, an empty query has no
 * hits, exactly as with "dot".
 */
export type Metric = "dot" | "cosine";

export const METRICS: readonly Metric[] = ["dot", "cosine"];

/** The L2 norm of a vector's weights, summed in float64. */
export function l2Norm(v: SparseVector): number {
  let s = 0;
  for (let i = 0; i < v.nnz; i++) s += v.weights[i]! * v.weights[i]!;
  return Math.sqrt(s);
}

/**
 * `v` scaled to unit L2 norm (computed in float64, stored in float32 as every vector is); a zero
 * vector stays as it is. Weights that underflow float32 once scaled are dropped, as zero weights
 * always are.
 */
export function unitLength(v: SparseVector, role: "document" | "query"): SparseVector {
  const norm = l2Norm(v);
  if (norm === 0) return v;
  const weights = new Float64Array(v.nnz);
  for (let i = 0; i < v.nnz; i++) weights[i] = v.weights[i]! / norm;
  return SparseVector.fromArrays(v.terms, weights, { role, vocabSize: 0xffffffff });
}

/** The vector a collection of this metric stores or searches with. */
export function vectorForMetric(v: SparseVector, metric: Metric, role: "document" | "query"): SparseVector {
  return metric === "cosine" ? unitLength(v, role) : v;
}
