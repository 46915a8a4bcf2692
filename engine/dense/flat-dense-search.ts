import { SparseDbError } from "../errors.js";
import { checkDenseMetric, type DenseMetric } from "./dense-metric.js";

/**
 * Exact (brute-force) dense top-k over a row-major Float32Array matrix (rows x dims): the `flat`
 * dense index, the memtable's dense search, and the truth an approximate index is measured against.
 *
 * API:
 *   interface DenseHit { row: number; score: number }
 *   flatDenseSearch(matrix, dims, query, k, metric, accept?): DenseHit[]
 *       one query over every row of `matrix`; best first.
 *   new FlatDenseTopK(queries, dims, k, metric, accept?)
 *       .add(vectors, firstRow, count?)   rows arrive in batches (a million 384-float vectors can be
 *                                         streamed through without being held), row ids
 *                                         firstRow, firstRow + 1, ...
 *       .results(): DenseHit[][]          each query's k best, best first.
 *
 * Scores are `dense-metric.ts`'s (higher is better; "l2" is minus the Euclidean distance;
 * "cosine" is the dot product of vectors normalised beforehand), with the same float64 arithmetic
 * as its `denseScore`, so a row scores the same here and in an HNSW index's exact re-score.
 * `accept(row)` (filters, deletes) is asked once per row; a row it refuses is neither scored nor
 * returned. Ties in score go to the lower row, so the answer is unique. Fewer than k rows accepted:
 * all of them.
 *
 * Blocked loops: a block of rows is scored against the queries four at a time, so each matrix
 * value is loaded once per four queries and the block stays in cache.
 */
export interface DenseHit {
  row: number;
  score: number;
}

export type AcceptRow = (row: number) => boolean;

/** Rows per block: 256 x 384 floats (384 KB) stay in cache while every query passes over them. */
const BLOCK = 256;

export class FlatDenseTopK {
  readonly dims: number;
  readonly k: number;
  readonly metric: DenseMetric;
  private readonly accept: AcceptRow | undefined;
  private readonly queries: Float64Array;
  private readonly nq: number;
  /** Per query: a heap of k (score, row), the worst at the root. */
  private readonly heapScores: Float64Array;
  private readonly heapRows: Float64Array;
  private readonly heapSize: Uint32Array;
  private readonly scratch: Float64Array;
  /** The block's rows that `accept` let through (block-relative). */
  private readonly picked: Uint32Array;

  constructor(queries: readonly ArrayLike<number>[], dims: number, k: number, metric: DenseMetric, accept?: AcceptRow) {
    if (!Number.isInteger(dims) || dims < 1) throw new SparseDbError("INVALID_ARGUMENT", `dims is ${dims}; it must be a positive integer`);
    if (!Number.isInteger(k) || k < 1) throw new SparseDbError("INVALID_ARGUMENT", `k is ${k}; it must be a positive integer`);
    this.metric = checkDenseMetric(metric, "metric");
    this.dims = dims;
    this.k = k;
    this.accept = accept;
    this.nq = queries.length;
    this.queries = new Float64Array(this.nq * dims);
    queries.forEach((q, i) => {
      if (q.length !== dims) throw new SparseDbError("INVALID_ARGUMENT", `query ${i} has ${q.length} values, not ${dims}`);
      for (let j = 0; j < dims; j++) this.queries[i * dims + j] = q[j]!;
    });
    this.heapScores = new Float64Array(this.nq * k);
    this.heapRows = new Float64Array(this.nq * k);
    this.heapSize = new Uint32Array(this.nq);
    this.scratch = new Float64Array(BLOCK * 4);
    this.picked = new Uint32Array(BLOCK);
  }

  /** Scores `count` rows stored row-major in `vectors`, with row ids firstRow, firstRow + 1, ... */
  add(vectors: Float32Array, firstRow: number, count = Math.floor(vectors.length / this.dims)): void {
    const d = this.dims;
    if (vectors.length < count * d) throw new SparseDbError("INVALID_ARGUMENT", `vectors holds ${vectors.length} floats; ${count} rows of ${d} need ${count * d}`);
    const picked = this.picked;
    for (let start = 0; start < count; start += BLOCK) {
      const n = Math.min(BLOCK, count - start);
      let m = 0;
      for (let i = 0; i < n; i++) if (this.accept === undefined || this.accept(firstRow + start + i)) picked[m++] = i;
      if (m === 0) continue;
      for (let q0 = 0; q0 < this.nq; q0 += 4) {
        const lanes = Math.min(4, this.nq - q0);
        if (this.metric === "l2") this.squaredDistanceBlock(vectors, start, m, q0, lanes);
        else this.dotBlock(vectors, start, m, q0, lanes);
        for (let lane = 0; lane < lanes; lane++) {
          const q = q0 + lane;
          for (let p = 0; p < m; p++) {
            const s = this.scratch[lane * BLOCK + p]!;
            this.offer(q, this.metric === "l2" ? -Math.sqrt(s) : s, firstRow + start + picked[p]!);
          }
        }
      }
    }
  }

  /** Each query's hits, best first. */
  results(): DenseHit[][] {
    const out: DenseHit[][] = [];
    for (let q = 0; q < this.nq; q++) {
      const hits: DenseHit[] = [];
      for (let i = 0; i < this.heapSize[q]!; i++) hits.push({ row: this.heapRows[q * this.k + i]!, score: this.heapScores[q * this.k + i]! });
      hits.sort(byScoreThenRow);
      out.push(hits);
    }
    return out;
  }

  /** Dot products of the picked rows of block `start` with queries q0 .. q0 + lanes, into scratch. */
  private dotBlock(vectors: Float32Array, start: number, m: number, q0: number, lanes: number): void {
    const d = this.dims;
    const Q = this.queries;
    const out = this.scratch;
    const a0 = q0 * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
    for (let p = 0; p < m; p++) {
      const base = (start + this.picked[p]!) * d;
      if (lanes === 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < d; j++) {
          const x = vectors[base + j]!;
          s0 += x * Q[a0 + j]!;
          s1 += x * Q[a1 + j]!;
          s2 += x * Q[a2 + j]!;
          s3 += x * Q[a3 + j]!;
        }
        out[p] = s0;
        out[BLOCK + p] = s1;
        out[2 * BLOCK + p] = s2;
        out[3 * BLOCK + p] = s3;
      } else {
        for (let lane = 0; lane < lanes; lane++) {
          const a = a0 + lane * d;
          let s = 0;
          for (let j = 0; j < d; j++) s += vectors[base + j]! * Q[a + j]!;
          out[lane * BLOCK + p] = s;
        }
      }
    }
  }

  /** Squared Euclidean distances, as dotBlock (the same order of operations as denseScore). */
  private squaredDistanceBlock(vectors: Float32Array, start: number, m: number, q0: number, lanes: number): void {
    const d = this.dims;
    const Q = this.queries;
    const out = this.scratch;
    for (let p = 0; p < m; p++) {
      const base = (start + this.picked[p]!) * d;
      for (let lane = 0; lane < lanes; lane++) {
        const a = (q0 + lane) * d;
        let s = 0;
        for (let j = 0; j < d; j++) {
          const diff = vectors[base + j]! - Q[a + j]!;
          s += diff * diff;
        }
        out[lane * BLOCK + p] = s;
      }
    }
  }

  /** Keeps (score, row) if it is among the query's k best so far (ties: the lower row). */
  private offer(q: number, score: number, row: number): void {
    const base = q * this.k;
    const scores = this.heapScores, rows = this.heapRows;
    let size = this.heapSize[q]!;
    // worse(a, b): entry a ranks below entry b.
    const worse = (sa: number, ra: number, sb: number, rb: number) => sa < sb || (sa === sb && ra > rb);
    if (size < this.k) {
      let at = size++;
      this.heapSize[q] = size;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!worse(score, row, scores[base + parent]!, rows[base + parent]!)) break;
        scores[base + at] = scores[base + parent]!;
        rows[base + at] = rows[base + parent]!;
        at = parent;
      }
      scores[base + at] = score;
      rows[base + at] = row;
      return;
    }
    if (!worse(scores[base]!, rows[base]!, score, row)) return;
    let at = 0;
    for (;;) {
      const l = 2 * at + 1;
      if (l >= size) break;
      const r = l + 1;
      const child = r < size && worse(scores[base + r]!, rows[base + r]!, scores[base + l]!, rows[base + l]!) ? r : l;
      if (!worse(scores[base + child]!, rows[base + child]!, score, row)) break;
      scores[base + at] = scores[base + child]!;
      rows[base + at] = rows[base + child]!;
      at = child;
    }
    scores[base + at] = score;
    rows[base + at] = row;
  }
}

/** Best first: higher score, then the lower row. */
export function byScoreThenRow(a: DenseHit, b: DenseHit): number {
  return b.score - a.score || a.row - b.row;
}

/** Exact top-k of one query over every row of `matrix` (row-major, rows 0 .. n - 1). */
export function flatDenseSearch(matrix: Float32Array, dims: number, query: ArrayLike<number>, k: number, metric: DenseMetric, accept?: AcceptRow): DenseHit[] {
  if (Number.isInteger(dims) && dims > 0 && matrix.length % dims !== 0) throw new SparseDbError("INVALID_ARGUMENT", `the matrix holds ${matrix.length} floats, not a multiple of dims ${dims}`);
  const f = new FlatDenseTopK([query], dims, k, metric, accept);
  f.add(matrix, 0);
  return f.results()[0]!;
}
