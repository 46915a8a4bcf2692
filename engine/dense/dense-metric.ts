import { SparseDbError } from "../errors.js";

/**
 * How a collection's dense vectors are compared. Every score is higher-is-better:
 *
 * - `"cosine"`: the dot product of unit vectors. The vectors are expected to be normalised
 *   already (`normalizeDense` where they enter: the collection's write path and the query), so
 *   scoring is a plain dot product and a zero vector scores 0 against everything.
 * - `"dot"`: the dot product of the vectors as given.
 * - `"l2"`: minus the Euclidean distance, -sqrt(sum_j (x_j - q_j)^2), so that the nearest row has
 *   the highest score (0 for an identical vector) and every top-k keeps "higher is better".
 *
 * API:
 *   type DenseMetric = "cosine" | "dot" | "l2";   DENSE_METRICS
 *   checkDenseMetric(value, what?): DenseMetric                    (a clear INVALID_ARGUMENT otherwise)
 *   denseScore(matrix, dims, row, query, metric): number           (one row of a row-major matrix)
 *   denseSimilarity(a, b, metric): number                          (two vectors of one length)
 *   normalizeDense(v): Float32Array                                (a unit-length copy; zero stays zero)
 *
 * Every score here sums in float64, coordinate 0 first, each product of a float32 matrix value and
 * the query's value: `flat-dense-search.ts` and the HNSW re-score compute the same arithmetic, so
 * a row's score is the same number whichever path found it.
 */
export type DenseMetric = "cosine" | "dot" | "l2";

export const DENSE_METRICS: readonly DenseMetric[] = ["cosine", "dot", "l2"];

export function checkDenseMetric(value: unknown, what = "dense metric"): DenseMetric {
  if (value === "cosine" || value === "dot" || value === "l2") return value;
  throw new SparseDbError("INVALID_ARGUMENT", `${what} is ${JSON.stringify(value)}; use "cosine", "dot" or "l2"`);
}

/** The score of row `row` of a row-major matrix (rows x dims) against `query` (dims values). */
export function denseScore(matrix: Float32Array, dims: number, row: number, query: ArrayLike<number>, metric: DenseMetric): number {
  const base = row * dims;
  let s = 0;
  if (metric === "l2") {
    for (let j = 0; j < dims; j++) {
      const d = matrix[base + j]! - query[j]!;
      s += d * d;
    }
    return -Math.sqrt(s);
  }
  for (let j = 0; j < dims; j++) s += matrix[base + j]! * query[j]!;
  return s;
}

/** The score of `b` against `a` (same length), by the metric's rule above. */
export function denseSimilarity(a: ArrayLike<number>, b: ArrayLike<number>, metric: DenseMetric): number {
  if (a.length !== b.length) throw new SparseDbError("INVALID_ARGUMENT", `the vectors have ${a.length} and ${b.length} values; they must have the same length`);
  return denseScore(a instanceof Float32Array ? a : Float32Array.from(a), a.length, 0, b, metric);
}

/** `v` scaled to unit L2 norm (norm in float64, values stored in float32); a zero vector is returned as a zero copy. */
export function normalizeDense(v: ArrayLike<number>): Float32Array {
  let sq = 0;
  for (let j = 0; j < v.length; j++) sq += v[j]! * v[j]!;
  const out = new Float32Array(v.length);
  if (sq === 0) return out;
  const inv = 1 / Math.sqrt(sq);
  for (let j = 0; j < v.length; j++) out[j] = v[j]! * inv;
  return out;
}
