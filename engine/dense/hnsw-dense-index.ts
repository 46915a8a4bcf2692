import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32c } from "../../storage/crc32c.js";
import { SparseDbError } from "../errors.js";
import { checkDenseMetric, denseScore, type DenseMetric } from "./dense-metric.js";
import { byScoreThenRow, flatDenseSearch, type AcceptRow, type DenseHit } from "./flat-dense-search.js";
import { loadUsearch, type UsearchIndex, type UsearchModule } from "./usearch-module.js";

/**
 * The approximate ("hnsw") dense index of one segment: an HNSW graph from the optional `usearch`
 * package over the segment's row-major Float32Array matrix (row ids = the segment's local doc ids),
 * with every candidate re-scored EXACTLY against that matrix, so a hit's score is the very number
 * the flat search gives it (dense-metric.ts's arithmetic) and only which rows are found is
 * approximate.
 *
 * API:
 *   HNSW_DEFAULTS: HnswOptions
 *   HnswDenseIndex.build(matrix, dims, metric, options?): Promise<HnswDenseIndex>
 *   HnswDenseIndex.load(bytes, matrix, dims, metric): Promise<HnswDenseIndex>
 *       bytes from serialize(); the matrix must be the one it was built over (rows and dims are
 *       checked, and a CRC32C of the graph); damage is a CORRUPTION error, never a native crash.
 *   index.serialize(): Uint8Array              (to store as a checksummed segment section)
 *   index.search(query, k, accept?): DenseHit[]    best first, ties by row ascending
 *   index.rows, index.dims, index.metric, index.options, index.lastSearch (what the last search did)
 *
 * Search: usearch is asked for max(OVERSAMPLE x k, index.minCandidates) candidates (capped at the row
 * count), those `accept` refuses (filters, deletes) are dropped, the rest re-scored exactly and
 * the best k kept. Fewer than k accepted: the share accepted estimates the filter's, hence how
 * many candidates k accepted ones need (OVERSAMPLE x k / share); if the exact flat search over the
 * accepted rows is less work than that (`flatIsCheaper`: a selective filter), it answers flat,
 * else it asks usearch again for that many (at least 4 times as many as before). Segments of at
 * most FLAT_BELOW_ROWS (1024) rows are searched flat from the start, exactly.
 *
 * usearch's HNSW stores its own copy of the vectors; since candidates are re-scored from the
 * matrix, that copy is quantized by default (`defaultQuantization`: i8 for cosine, f16 otherwise).
 * usearch saves and loads only through files, so serialize and load go through a temporary file
 * under os.tmpdir() (removed at once): the one direct file use of engine/dense.
 */
export interface HnswOptions {
  /** Graph degree (usearch `connectivity`, HNSW's M). */
  connectivity: number;
  /** Candidate list while building (HNSW's efConstruction). */
  expansionAdd: number;
  /** Candidate list while searching (HNSW's ef); usearch widens it to the candidates asked for. */
  expansionSearch: number;
  /** How usearch stores its copy of the vectors (default: `defaultQuantization(metric)`). */
  quantization: "f32" | "f16" | "i8";
  /** Build threads (0: usearch's choice, every core). Not stored. */
  threads: number;
}

/** Chosen on the clustered generator (bench/hybrid): recall@10 against flat >= 0.95 (BENCHMARKS.md). */
export const HNSW_DEFAULTS: Readonly<Omit<HnswOptions, "quantization">> = { connectivity: 16, expansionAdd: 128, expansionSearch: 64, threads: 0 };

/**
 * i8 for cosine (unit vectors fit usearch's i8 range [-1, 1]; builds several times faster than
 * f16 and a quarter of f32's memory), f16 for dot and l2, whose values may lie outside it.
 */
export function defaultQuantization(metric: DenseMetric): HnswOptions["quantization"] {
  return metric === "cosine" ? "i8" : "f16";
}

export const OVERSAMPLE = 2;
/**
 * The default of `minCandidates`: the fewest candidates a search asks usearch for (its ef is at
 * least this). Measured at 1M clustered documents (BENCHMARKS.md): 40 gives recall@10 0.933, 100
 * 0.946, 200 0.986 (1.8 ms median), 400 0.996.
 */
export const MIN_CANDIDATES = 200;
export const FLAT_BELOW_ROWS = 1024;

const MAGIC = 0x57534e48; // "HNSW" little-endian
const FORMAT_VERSION = 1;
const HEADER_BYTES = 40;
const METRIC_CODES: readonly DenseMetric[] = ["cosine", "dot", "l2"];
const QUANTIZATIONS: readonly HnswOptions["quantization"][] = ["f32", "f16", "i8"];

export interface HnswSearchReport {
  /** "hnsw", or "flat" (a small segment, or a filter that accepted too few candidates). */
  path: "hnsw" | "flat";
  /** Candidates asked of usearch, summed over its rounds. */
  candidates: number;
  rounds: number;
}

export class HnswDenseIndex {
  readonly lastSearch: HnswSearchReport = { path: "hnsw", candidates: 0, rounds: 0 };
  /** The search-time knob (not stored): more candidates, higher recall, slower searches. */
  minCandidates = MIN_CANDIDATES;

  private constructor(
    readonly matrix: Float32Array,
    readonly dims: number,
    readonly metric: DenseMetric,
    readonly options: Readonly<HnswOptions>,
    /** null when there are no rows. */
    private readonly native: UsearchIndex | null,
  ) {}

  get rows(): number {
    return this.matrix.length / this.dims;
  }

  static async build(matrix: Float32Array, dims: number, metric: DenseMetric, options: Partial<HnswOptions> = {}): Promise<HnswDenseIndex> {
    checkMatrix(matrix, dims);
    metric = checkDenseMetric(metric, "metric");
    const o = checkOptions({ ...HNSW_DEFAULTS, quantization: defaultQuantization(metric), ...options });
    const rows = matrix.length / dims;
    if (rows === 0) return new HnswDenseIndex(matrix, dims, metric, o, null);
    const native = newNative(await loadUsearch(), dims, metric, o);
    const keys = new BigUint64Array(rows);
    for (let r = 0; r < rows; r++) keys[r] = BigInt(r);
    native.add(keys, matrix, o.threads);
    return new HnswDenseIndex(matrix, dims, metric, o, native);
  }

  static async load(bytes: Uint8Array, matrix: Float32Array, dims: number, metric: DenseMetric): Promise<HnswDenseIndex> {
    checkMatrix(matrix, dims);
    metric = checkDenseMetric(metric, "metric");
    const corrupt = (what: string) => new SparseDbError("CORRUPTION", `hnsw index: ${what}; rebuild the segment's dense index`);
    if (bytes.length < HEADER_BYTES) throw corrupt(`${bytes.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, true) !== MAGIC) throw corrupt("no HNSW header");
    const version = view.getUint32(4, true);
    if (version !== FORMAT_VERSION) throw new SparseDbError("UNSUPPORTED_VERSION", `hnsw index format ${version}; this sparsedb reads format ${FORMAT_VERSION}`);
    const fileDims = view.getUint32(8, true), fileRows = view.getUint32(12, true);
    const fileMetric = METRIC_CODES[view.getUint8(16)], quantization = QUANTIZATIONS[view.getUint8(17)];
    const rows = matrix.length / dims;
    if (fileDims !== dims || fileRows !== rows) throw corrupt(`built over ${fileRows} rows of ${fileDims} dims, but the matrix has ${rows} rows of ${dims}`);
    if (fileMetric !== metric) throw corrupt(`built for metric ${JSON.stringify(fileMetric ?? view.getUint8(16))}, not ${JSON.stringify(metric)}`);
    if (quantization === undefined) throw corrupt(`unknown quantization code ${view.getUint8(17)}`);
    const options: HnswOptions = { connectivity: view.getUint32(20, true), expansionAdd: view.getUint32(24, true), expansionSearch: view.getUint32(28, true), quantization, threads: 0 };
    const payloadBytes = view.getUint32(36, true);
    if (bytes.length !== HEADER_BYTES + payloadBytes) throw corrupt(`${bytes.length} bytes, but its header says ${HEADER_BYTES + payloadBytes}`);
    const payload = bytes.subarray(HEADER_BYTES);
    // Checked before usearch sees the bytes: it crashes the process on a damaged file.
    if (crc32c(payload) >>> 0 !== view.getUint32(32, true)) throw corrupt("checksum mismatch");
    checkOptions(options);
    if (rows === 0) return new HnswDenseIndex(matrix, dims, metric, options, null);
    const native = newNative(await loadUsearch(), dims, metric, options);
    withTempFile((path) => {
      writeFileSync(path, payload);
      native.load(path);
    });
    if (native.size() !== rows || native.dimensions() !== dims) throw corrupt(`usearch loaded ${native.size()} vectors of ${native.dimensions()} dims, not ${rows} of ${dims}`);
    return new HnswDenseIndex(matrix, dims, metric, options, native);
  }

  serialize(): Uint8Array {
    let out = new Uint8Array(HEADER_BYTES);
    if (this.native !== null) {
      const native = this.native;
      withTempFile((path) => {
        native.save(path);
        // Read straight after the header: no second copy of a graph that may be a gigabyte.
        const fd = openSync(path, "r");
        try {
          const size = fstatSync(fd).size;
          if (size > 0xffffffff) throw new SparseDbError("LIMIT_EXCEEDED", `hnsw index of ${size} bytes; at most 4 GiB per segment`);
          out = new Uint8Array(HEADER_BYTES + size);
          for (let at = 0; at < size; ) {
            const n = readSync(fd, out, HEADER_BYTES + at, size - at, at);
            if (n === 0) throw new SparseDbError("IO_ERROR", `hnsw index: ${path} ended at ${at} of ${size} bytes while being read back`);
            at += n;
          }
        } finally {
          closeSync(fd);
        }
      });
    }
    const payload = out.subarray(HEADER_BYTES);
    const view = new DataView(out.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, FORMAT_VERSION, true);
    view.setUint32(8, this.dims, true);
    view.setUint32(12, this.rows, true);
    view.setUint8(16, METRIC_CODES.indexOf(this.metric));
    view.setUint8(17, QUANTIZATIONS.indexOf(this.options.quantization));
    view.setUint32(20, this.options.connectivity, true);
    view.setUint32(24, this.options.expansionAdd, true);
    view.setUint32(28, this.options.expansionSearch, true);
    view.setUint32(32, crc32c(payload) >>> 0, true);
    view.setUint32(36, payload.length, true);
    return out;
  }

  search(query: ArrayLike<number>, k: number, accept?: AcceptRow): DenseHit[] {
    if (query.length !== this.dims) throw new SparseDbError("INVALID_ARGUMENT", `the dense query has ${query.length} values; this index has ${this.dims} dims`);
    if (!Number.isInteger(k) || k < 1) throw new SparseDbError("INVALID_ARGUMENT", `k is ${k}; it must be a positive integer`);
    const report = this.lastSearch;
    report.candidates = 0;
    report.rounds = 0;
    const rows = this.rows;
    if (this.native === null || rows <= FLAT_BELOW_ROWS) return this.flat(query, k, accept);
    const q32 = Float32Array.from(query);
    let want = Math.min(rows, Math.max(OVERSAMPLE * k, this.minCandidates));
    for (;;) {
      const found = this.native.search(q32, want, 1);
      report.candidates += want;
      report.rounds++;
      const hits: DenseHit[] = [];
      for (const key of found.keys) {
        const row = Number(key);
        if (accept === undefined || accept(row)) hits.push({ row, score: denseScore(this.matrix, this.dims, row, query, this.metric) });
      }
      if (hits.length >= k || want >= rows) {
        report.path = "hnsw";
        return hits.sort(byScoreThenRow).slice(0, k);
      }
      // Too few accepted: the share accepted among these candidates estimates the filter's.
      const share = Math.max(hits.length, 0.5) / found.keys.length;
      const needed = Math.min(rows, Math.ceil((OVERSAMPLE * k) / share));
      if (flatIsCheaper(rows, share, needed, this.options.connectivity)) return this.flat(query, k, accept);
      want = Math.min(rows, Math.max(needed, want * 4));
    }
  }

  private flat(query: ArrayLike<number>, k: number, accept?: AcceptRow): DenseHit[] {
    this.lastSearch.path = "flat";
    return flatDenseSearch(this.matrix, this.dims, query, k, this.metric, accept);
  }
}

/**
 * The flat fallback's rule, in units of one vector comparison: flat scans every row's `accept`
 * (about PREDICATE_COST each) and scores the share it accepts; HNSW looking at `candidates` makes
 * about `connectivity` comparisons per candidate (level 0 of the graph). Flat is chosen when its
 * work is smaller: with k = 10 and connectivity 16, a filter accepting about 0.8% of 1M rows or
 * fewer goes flat, or about 6.5% of 50k rows.
 */
export function flatIsCheaper(rows: number, share: number, candidates: number, connectivity: number): boolean {
  return rows * (PREDICATE_COST + share) < candidates * connectivity;
}

const PREDICATE_COST = 1 / 32;

function newNative(usearch: UsearchModule, dims: number, metric: DenseMetric, o: HnswOptions): UsearchIndex {
  // Unit vectors (cosine) and dot: inner product; l2: squared distance (same order as distance).
  return new usearch.Index({ dimensions: dims, metric: metric === "l2" ? "l2sq" : "ip", quantization: o.quantization, connectivity: o.connectivity, expansion_add: o.expansionAdd, expansion_search: o.expansionSearch, multi: false });
}

function checkMatrix(matrix: Float32Array, dims: number): void {
  if (!Number.isInteger(dims) || dims < 1) throw new SparseDbError("INVALID_ARGUMENT", `dims is ${dims}; it must be a positive integer`);
  if (!(matrix instanceof Float32Array) || matrix.length % dims !== 0) throw new SparseDbError("INVALID_ARGUMENT", `the matrix must be a Float32Array of rows x ${dims} floats; it holds ${(matrix as { length?: number }).length}`);
}

function checkOptions(o: HnswOptions): HnswOptions {
  const int = (name: keyof HnswOptions, min: number, max: number) => {
    const v = o[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new SparseDbError("INVALID_ARGUMENT", `hnsw ${name} is ${String(v)}; it must be an integer from ${min} to ${max}`);
  };
  int("connectivity", 2, 256);
  int("expansionAdd", 1, 4096);
  int("expansionSearch", 1, 4096);
  int("threads", 0, 1024);
  if (!QUANTIZATIONS.includes(o.quantization)) throw new SparseDbError("INVALID_ARGUMENT", `hnsw quantization is ${JSON.stringify(o.quantization)}; use "f32", "f16" or "i8"`);
  return o;
}

function withTempFile(use: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "sparsedb-hnsw-"));
  try {
    use(join(dir, "index.usearch"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
