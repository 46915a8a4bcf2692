import { SparseDbError } from "../../engine/errors.js";

/** How similar a query and a document are: dot product, cosine, or (smaller is nearer) Euclidean distance. */
export type DenseMetric = "dot" | "cosine" | "l2";

/** One query's exact top k, best first: ids and their scores (dot, cosine, or L2 distance). */
export interface ExactHits {
  ids: number[];
  scores: number[];
}

/** Documents per block: 256 x 384 floats (384 KB) stay in cache while every query passes over them. */
const BLOCK = 256;

/**
 * Exact (brute-force) top-k of dense vectors for a set of queries: the truth an approximate index
 * is measured against. Documents arrive in batches (add), so that a million 384-float vectors can
 * be streamed through without being held; results() gives each query's k best. Ties in score go
 * to the lower id, so the answer is unique. Sums run in float64, one coordinate after another.
 *
 * Blocked loops: a block of documents is scored against the queries four at a time, so each
 * document coordinate is loaded once per four queries and the block stays in cache.
 */
export class FlatTopK {
  readonly dims: number;
  readonly k: number;
  readonly metric: DenseMetric;
  private readonly queries: Float64Array;
  private readonly queryNorms: Float64Array;
  private readonly nq: number;
  /** Per query: a heap of k (key, id), the worst at the root; key is higher-is-better. */
  private readonly heapKeys: Float64Array;
  private readonly heapIds: Float64Array;
  private readonly heapSize: Uint32Array;
  private readonly scratch: Float64Array;

  constructor(queries: readonly ArrayLike<number>[], dims: number, k: number, metric: DenseMetric) {
    if (!Number.isInteger(dims) || dims < 1) throw new SparseDbError("INVALID_ARGUMENT", `dims is ${dims}; it must be a positive integer`);
    if (!Number.isInteger(k) || k < 1) throw new SparseDbError("INVALID_ARGUMENT", `k is ${k}; it must be a positive integer`);
    if (metric !== "dot" && metric !== "cosine" && metric !== "l2") throw new SparseDbError("INVALID_ARGUMENT", `metric is ${JSON.stringify(metric)}; use "dot", "cosine" or "l2"`);
    this.dims = dims;
    this.k = k;
    this.metric = metric;
    this.nq = queries.length;
    this.queries = new Float64Array(this.nq * dims);
    this.queryNorms = new Float64Array(this.nq);
    queries.forEach((q, i) => {
      if (q.length !== dims) throw new SparseDbError("INVALID_ARGUMENT", `query ${i} has ${q.length} values, not ${dims}`);
      let sq = 0;
      for (let j = 0; j < dims; j++) {
        this.queries[i * dims + j] = q[j]!;
        sq += q[j]! * q[j]!;
      }
      this.queryNorms[i] = metric === "l2" ? sq : Math.sqrt(sq);
    });
    this.heapKeys = new Float64Array(this.nq * k);
    this.heapIds = new Float64Array(this.nq * k);
    this.heapSize = new Uint32Array(this.nq);
    this.scratch = new Float64Array(BLOCK * 4);
  }

  /** Scores `count` documents stored row-major in `vectors`, with ids firstId, firstId + 1, ... */
  add(vectors: Float32Array, firstId: number, count = Math.floor(vectors.length / this.dims)): void {
    const d = this.dims;
    if (vectors.length < count * d) throw new SparseDbError("INVALID_ARGUMENT", `vectors holds ${vectors.length} floats; ${count} documents of ${d} need ${count * d}`);
    const docNorms = new Float64Array(BLOCK);
    for (let start = 0; start < count; start += BLOCK) {
      const n = Math.min(BLOCK, count - start);
      for (let i = 0; i < n; i++) {
        let sq = 0;
        const base = (start + i) * d;
        for (let j = 0; j < d; j++) sq += vectors[base + j]! * vectors[base + j]!;
        docNorms[i] = this.metric === "l2" ? sq : Math.sqrt(sq);
      }
      for (let q0 = 0; q0 < this.nq; q0 += 4) {
        const lanes = Math.min(4, this.nq - q0);
        this.dotBlock(vectors, start, n, q0, lanes);
        for (let lane = 0; lane < lanes; lane++) {
          const q = q0 + lane;
          for (let i = 0; i < n; i++) this.offer(q, this.key(this.scratch[lane * BLOCK + i]!, q, docNorms[i]!), firstId + start + i);
        }
      }
    }
  }

  /** Each query's hits, best first. */
  results(): ExactHits[] {
    const out: ExactHits[] = [];
    for (let q = 0; q < this.nq; q++) {
      const size = this.heapSize[q]!;
      const order = Array.from({ length: size }, (_, i) => q * this.k + i);
      order.sort((a, b) => this.heapKeys[b]! - this.heapKeys[a]! || this.heapIds[a]! - this.heapIds[b]!);
      out.push({ ids: order.map((h) => this.heapIds[h]!), scores: order.map((h) => this.score(this.heapKeys[h]!)) });
    }
    return out;
  }

  /** Dot products of documents [start, start + n) with queries q0 .. q0 + lanes, into scratch. */
  private dotBlock(vectors: Float32Array, start: number, n: number, q0: number, lanes: number): void {
    const d = this.dims;
    const Q = this.queries;
    const out = this.scratch;
    const a0 = q0 * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
    for (let i = 0; i < n; i++) {
      const base = (start + i) * d;
      if (lanes === 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < d; j++) {
          const x = vectors[base + j]!;
          s0 += x * Q[a0 + j]!;
          s1 += x * Q[a1 + j]!;
          s2 += x * Q[a2 + j]!;
          s3 += x * Q[a3 + j]!;
        }
        out[i] = s0;
        out[BLOCK + i] = s1;
        out[2 * BLOCK + i] = s2;
        out[3 * BLOCK + i] = s3;
      } else {
        for (let lane = 0; lane < lanes; lane++) {
          const a = a0 + lane * d;
          let s = 0;
          for (let j = 0; j < d; j++) s += vectors[base + j]! * Q[a + j]!;
          out[lane * BLOCK + i] = s;
        }
      }
    }
  }

  /** Higher is better: the dot product, the cosine, or minus the squared distance. */
  private key(dot: number, q: number, docNorm: number): number {
    if (this.metric === "dot") return dot;
    if (this.metric === "cosine") {
      const denominator = this.queryNorms[q]! * docNorm;
      return denominator === 0 ? 0 : dot / denominator;
    }
    return -(this.queryNorms[q]! + docNorm - 2 * dot);
  }

  private score(key: number): number {
    return this.metric === "l2" ? Math.sqrt(Math.max(0, -key)) : key;
  }

  /** Keeps (key, id) if it is among the query's k best so far (ties: the lower id). */
  private offer(q: number, key: number, id: number): void {
    const base = q * this.k;
    const keys = this.heapKeys, ids = this.heapIds;
    let size = this.heapSize[q]!;
    // worse(a, b): entry a ranks below entry b.
    const worse = (ka: number, ia: number, kb: number, ib: number) => ka < kb || (ka === kb && ia > ib);
    if (size < this.k) {
      // Sift up from the end.
      let at = size++;
      this.heapSize[q] = size;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!worse(key, id, keys[base + parent]!, ids[base + parent]!)) break;
        keys[base + at] = keys[base + parent]!;
        ids[base + at] = ids[base + parent]!;
        at = parent;
      }
      keys[base + at] = key;
      ids[base + at] = id;
      return;
    }
    if (!worse(keys[base]!, ids[base]!, key, id)) return;
    // Replace the root and sift down.
    let at = 0;
    for (;;) {
      const l = 2 * at + 1;
      if (l >= size) break;
      const r = l + 1;
      const child = r < size && worse(keys[base + r]!, ids[base + r]!, keys[base + l]!, ids[base + l]!) ? r : l;
      if (!worse(keys[base + child]!, ids[base + child]!, key, id)) break;
      keys[base + at] = keys[base + child]!;
      ids[base + at] = ids[base + child]!;
      at = child;
    }
    keys[base + at] = key;
    ids[base + at] = id;
  }
}

/** Exact top-k of `queries` over all of `vectors` (row-major, ids 0 .. n - 1) in one call. */
export function flatSearch(vectors: Float32Array, dims: number, queries: readonly ArrayLike<number>[], k: number, metric: DenseMetric): ExactHits[] {
  const f = new FlatTopK(queries, dims, k, metric);
  f.add(vectors, 0);
  return f.results();
}
