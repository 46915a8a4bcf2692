import { SparseDbError } from "../../engine/errors.js";
import { generateDocumentBatch, type DocumentBatch, type SyntheticOptions } from "../synthetic/generator.js";
import { Sfc32 } from "../synthetic/prng.js";

/**
 * Synthetic dense vectors with clustered structure, tied to the synthetic sparse corpus so that
 * the two legs of a hybrid search partly agree. A pure function of the seed; every vector has its
 * own PRNG stream, so any range of documents can be generated alone (by batches, streaming) and
 * equals the same range of a full run.
 *
 * - **Clusters.** `clusters` centroids, each a seeded Gaussian vector normalised to length 1.
 * - **Topic of a sparse vector.** Every term id is hashed (seeded) to a cluster; a sparse vector
 *   (a document's, or a real query's) belongs to the cluster whose terms carry the most of its
 *   weight: argmax_c of sum of w_t over its terms t with cluster(t) = c (ties: the lowest c; a
 *   vector without terms: cluster 0). Documents sharing heavy terms share a cluster, and a query
 *   lands in the cluster of the documents that match its heavy terms.
 * - **Documents.** centroid + `noise` x an offset, L2-normalised. The offset is Gaussian with a
 *   decaying spectrum: its j-th largest coordinate has standard deviation proportional to
 *   (j + 1)^-decay (scaled so that its expected length is 1), placed at coordinates permuted per
 *   cluster. So each cluster spreads mostly along a few dozen directions of its own (with
 *   decay 0.5, a participation ratio of about 26 of 384 dimensions), as real embeddings have a
 *   low intrinsic dimension, rather than as an isotropic ball in which every point is about as
 *   far from every other (the worst case for an approximate index, and unlike real data).
 * - **Queries.** The centroid of the query's cluster (from its sparse vector, as above) +
 *   `queryNoise` x an offset drawn the same way, normalised.
 * The cosine of two documents of one cluster is then about 1 / (1 + noise^2) (0.61 at the
 * default 0.8); of two clusters, about 0.
 */
export interface DenseSyntheticOptions {
  seed: number;
  /** Default 384 (the size of MiniLM / bge-small / e5-small vectors). */
  dims?: number;
  /** Default 1024. */
  clusters?: number;
  /** Expected length of a document's offset from its centroid, before normalisation (default 0.8). */
  noise?: number;
  /** The same for queries (default 0.8). */
  queryNoise?: number;
  /** How fast the offset's spectrum decays (default 0.5; 0 is an isotropic ball). */
  decay?: number;
}

export const DEFAULT_DENSE_DIMS = 384;
export const DEFAULT_CLUSTERS = 1024;
export const DEFAULT_NOISE = 0.8;
export const DEFAULT_DECAY = 0.5;

// PRNG streams, apart from the sparse generator's (documents at their index, queries from 2^40).
const DOC_STREAM = 2 ** 42;
const QUERY_STREAM = 2 ** 43;
const CENTROID_STREAM = 2 ** 44;
const TERM_STREAM = 2 ** 45;

/** A batch of documents with both kinds of vectors; dense[i * dims ..] is document firstDoc + i. */
export interface HybridDocumentBatch {
  firstDoc: number;
  count: number;
  sparse: DocumentBatch;
  /** count x dims, row-major, each row of length 1. */
  dense: Float32Array;
  /** Each document's cluster. */
  clusters: Uint32Array;
}

export class ClusteredDenseGenerator {
  readonly seed: number;
  readonly dims: number;
  readonly clusters: number;
  readonly noise: number;
  readonly queryNoise: number;
  /** clusters x dims, each row of length 1. */
  private readonly centroids: Float32Array;
  /** clusters x dims: where each cluster puts the j-th coordinate of its offset's spectrum. */
  private readonly axes: Uint16Array;
  /** Standard deviation of the offset's j-th spectral coordinate (sum of squares 1). */
  private readonly spectrum: Float64Array;
  private termClusters = new Int32Array(0);
  private readonly weightByCluster: Float64Array;
  private readonly rng = new Sfc32(0);
  private readonly normals: Float64Array;

  constructor(options: DenseSyntheticOptions) {
    const { seed, dims = DEFAULT_DENSE_DIMS, clusters = DEFAULT_CLUSTERS, noise = DEFAULT_NOISE, queryNoise = DEFAULT_NOISE, decay = DEFAULT_DECAY } = options;
    if (!Number.isInteger(seed)) throw new SparseDbError("INVALID_ARGUMENT", `seed is ${seed}; it must be an integer`);
    if (!Number.isInteger(dims) || dims < 1 || dims > 65535) throw new SparseDbError("INVALID_ARGUMENT", `dims is ${dims}; it must be an integer in 1..65535`);
    if (!Number.isInteger(clusters) || clusters < 1) throw new SparseDbError("INVALID_ARGUMENT", `clusters is ${clusters}; it must be a positive integer`);
    for (const [name, v] of [["noise", noise], ["queryNoise", queryNoise], ["decay", decay]] as const) {
      if (!(Number.isFinite(v) && v >= 0)) throw new SparseDbError("INVALID_ARGUMENT", `${name} is ${v}; it must be a finite number >= 0`);
    }
    this.seed = seed;
    this.dims = dims;
    this.clusters = clusters;
    this.noise = noise;
    this.queryNoise = queryNoise;
    this.spectrum = new Float64Array(dims);
    let sq = 0;
    for (let j = 0; j < dims; j++) sq += (this.spectrum[j] = (j + 1) ** -decay) ** 2;
    for (let j = 0; j < dims; j++) this.spectrum[j] = this.spectrum[j]! / Math.sqrt(sq);
    this.normals = new Float64Array(dims + 1);
    this.centroids = new Float32Array(clusters * dims);
    this.axes = new Uint16Array(clusters * dims);
    for (let c = 0; c < clusters; c++) {
      this.rng.reseed(seed, CENTROID_STREAM + c);
      const row = this.centroids.subarray(c * dims, (c + 1) * dims);
      this.fillNormals(dims);
      let norm = 0;
      for (let j = 0; j < dims; j++) norm += this.normals[j]! ** 2;
      norm = Math.sqrt(norm);
      for (let j = 0; j < dims; j++) row[j] = this.normals[j]! / norm;
      // Fisher-Yates: the cluster's own order of the coordinates.
      const axes = this.axes.subarray(c * dims, (c + 1) * dims);
      for (let j = 0; j < dims; j++) axes[j] = j;
      for (let j = dims - 1; j > 0; j--) {
        const r = this.rng.nextUint32() % (j + 1);
        const t = axes[j]!;
        axes[j] = axes[r]!;
        axes[r] = t;
      }
    }
    this.weightByCluster = new Float64Array(clusters);
  }

  /** Cluster c's centroid (a view; length 1). */
  centroid(c: number): Float32Array {
    return this.centroids.subarray(c * this.dims, (c + 1) * this.dims);
  }

  /** The cluster term id `term` is hashed to. */
  termCluster(term: number): number {
    if (term >= this.termClusters.length) {
      const grown = new Int32Array(Math.max(term + 1, 2 * this.termClusters.length, 32768)).fill(-1);
      grown.set(this.termClusters);
      this.termClusters = grown;
    }
    let c = this.termClusters[term]!;
    if (c < 0) {
      this.rng.reseed(this.seed, TERM_STREAM + term);
      c = this.termClusters[term] = this.rng.nextUint32() % this.clusters;
    }
    return c;
  }

  /** The cluster of a sparse vector: the one whose terms carry the most weight (see the class comment). */
  clusterOf(terms: ArrayLike<number>, weights: ArrayLike<number>, from = 0, to = terms.length): number {
    const sums = this.weightByCluster;
    let best = 0;
    let bestWeight = -Infinity;
    for (let i = from; i < to; i++) sums[this.termCluster(terms[i]!)] = sums[this.termCluster(terms[i]!)]! + weights[i]!;
    for (let i = from; i < to; i++) {
      const c = this.termCluster(terms[i]!);
      const w = sums[c]!;
      if (w > bestWeight || (w === bestWeight && c < best)) {
        best = c;
        bestWeight = w;
      }
    }
    for (let i = from; i < to; i++) sums[this.termCluster(terms[i]!)] = 0;
    return best;
  }

  /** Document `doc`'s vector, given its cluster, into out[offset .. offset + dims). */
  documentVector(doc: number, cluster: number, out: Float32Array = new Float32Array(this.dims), offset = 0): Float32Array {
    this.rng.reseed(this.seed, DOC_STREAM + doc);
    this.clusterPoint(cluster, this.noise, out, offset);
    return out;
  }

  /** Query `index`'s vector from its sparse vector (real or synthetic), and the cluster it was given. */
  queryVector(index: number, sparse: { terms: ArrayLike<number>; weights: ArrayLike<number> }): { vector: Float32Array; cluster: number } {
    const cluster = this.clusterOf(sparse.terms, sparse.weights);
    const vector = new Float32Array(this.dims);
    this.rng.reseed(this.seed, QUERY_STREAM + index);
    this.clusterPoint(cluster, this.queryNoise, vector, 0);
    return { vector, cluster };
  }

  /** Dense vectors for a list of sparse queries: query i gets queryVector(i, queries[i]). */
  queryVectors(queries: readonly { terms: ArrayLike<number>; weights: ArrayLike<number> }[]): Float32Array[] {
    return queries.map((q, i) => this.queryVector(i, q).vector);
  }

  /** The dense vectors and clusters of a batch of sparse documents (from generateDocumentBatch). */
  documentBatch(sparse: DocumentBatch, out: Float32Array = new Float32Array(sparse.count * this.dims)): { dense: Float32Array; clusters: Uint32Array } {
    if (out.length < sparse.count * this.dims) throw new SparseDbError("INVALID_ARGUMENT", `out holds ${out.length} floats; ${sparse.count} documents need ${sparse.count * this.dims}`);
    const clusters = new Uint32Array(sparse.count);
    for (let i = 0; i < sparse.count; i++) {
      const c = this.clusterOf(sparse.terms, sparse.weights, sparse.docOffsets[i]!, sparse.docOffsets[i + 1]!);
      clusters[i] = c;
      this.documentVector(sparse.firstDoc + i, c, out, i * this.dims);
    }
    return { dense: out.subarray(0, sparse.count * this.dims), clusters };
  }

  /**
   * Documents [0, count) in batches, sparse (bench/synthetic with `sparse` options) and dense
   * together: only one batch is held at a time (1M x 384 float32 is 1.5 GB).
   */
  *documents(count: number, sparse: SyntheticOptions, batchSize = 8192): Generator<HybridDocumentBatch> {
    if (!Number.isInteger(count) || count < 0) throw new SparseDbError("INVALID_ARGUMENT", `count is ${count}; it must be an integer >= 0`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new SparseDbError("INVALID_ARGUMENT", `batchSize is ${batchSize}; it must be a positive integer`);
    for (let first = 0; first < count; first += batchSize) {
      const batch = generateDocumentBatch(first, Math.min(batchSize, count - first), sparse);
      const { dense, clusters } = this.documentBatch(batch);
      yield { firstDoc: first, count: batch.count, sparse: batch, dense, clusters };
    }
  }

  /** centroid + scale x (an offset with the decaying spectrum on the cluster's axes), normalised. */
  private clusterPoint(cluster: number, scale: number, out: Float32Array, offset: number): void {
    const d = this.dims;
    const centroids = this.centroids, axes = this.axes, spectrum = this.spectrum, z = this.normals;
    const base = cluster * d;
    this.fillNormals(d);
    // Offsets instead of subarray views: no allocation per vector.
    for (let j = 0; j < d; j++) out[offset + j] = centroids[base + j]!;
    for (let j = 0; j < d; j++) {
      const a = offset + axes[base + j]!;
      out[a] = out[a]! + scale * spectrum[j]! * z[j]!;
    }
    let sq = 0;
    for (let j = 0; j < d; j++) sq += out[offset + j]! * out[offset + j]!;
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < d; j++) out[offset + j] = out[offset + j]! * inv;
  }

  /**
   * n standard normals into this.normals: two per 32-bit draw, each 16 bits looked up in a table
   * of the normal's quantiles (NORMAL_TABLE); the discreteness (65536 levels, tails cut at about
   * 4.3 sigma) does not matter for synthetic data. The draws are sfc32 run on local variables,
   * seeded from the current stream: Sfc32 keeps its state in object fields, which box 32-bit
   * values, and was the generator's main cost (about 40 ns a draw against a few here).
   */
  private fillNormals(n: number): void {
    const z = this.normals;
    const table = NORMAL_TABLE;
    let a = this.rng.nextUint32() | 0, b = this.rng.nextUint32() | 0, c = this.rng.nextUint32() | 0, d = 1;
    for (let j = 0; j < n; j += 2) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (((c << 21) | (c >>> 11)) + t) | 0;
      z[j] = table[t & 0xffff]!;
      z[j + 1] = table[t >>> 16]!;
    }
  }
}

/** The standard normal's quantiles at (i + 0.5) / 65536, i = 0 .. 65535. */
const NORMAL_TABLE: Float64Array = (() => {
  const t = new Float64Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = normalQuantile((i + 0.5) / 65536);
  return t;
})();

/** The inverse of the standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}
