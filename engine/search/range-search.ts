import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ForwardIndex } from "../index/forward-index.js";
import { WINDOW_RANGES } from "../index/range-layout.js";
import type { SegmentIndex } from "../index/segment-index.js";
import type { SparseVector } from "../sparse-vector.js";
import type { DocFilter } from "./algorithm.js";
import { makeRangeQuery, type RangeQuery } from "./range-query.js";
import { rangeSearchReference, scanAllReference } from "./range-search-reference.js";
import { compareHits, type DocHit } from "./top-k.js";

/**
 * Exact top-k over the range layout (engine/index/range-layout.ts), the default search:
 * 1. bounds, window by window (4096 ranges of 4 documents, u16, in L1): SIMD over the dense rows
 *    of the query's common terms, then the (level, offset) entries of its rare terms;
 * 2. collect the ranges whose bound reaches the starting threshold (SIMD compare), counting-sort
 *    them by bound;
 * 3. score best-first from the forward index, each range's 4 documents in float (exact mode:
 *    the true dot product, so no re-scoring pass is needed), keeping the top-k in a heap; stop
 *    when the next bound cannot reach the k-th score.
 * One WebAssembly call per segment (wasm/range-kernel.ts), over a memory that holds the
 * segment's forward index and range layout; range-query.ts derives the bounds' arithmetic and
 * why it is rank-safe.
 */

export interface RangePhases {
  boundsMs: number;
  collectMs: number;
  scoreMs: number;
}

export interface RangeSearchResult {
  hits: DocHit[];
  postingsScored: number;
  candidates: number;
  phases?: RangePhases;
}

export interface RangeSearchOptions {
  k: number;
  exact: boolean;
  filter: DocFilter | undefined;
  /** The number of documents `filter` may reject when it rejects deleted ones only. */
  excluded?: number;
  /** Time the kernel's phases (a few clock reads per window). */
  phases?: boolean;
  /** Run the TypeScript reference instead of the kernel. */
  reference?: boolean;
  /** Bound scaling in (0, 1] (range-query.ts): below 1 trades recall for speed; 1 by default (exact). */
  alpha?: number;
}

export function rangeSearch(index: SegmentIndex, query: SparseVector, o: RangeSearchOptions): RangeSearchResult {
  const excluded = o.filter === undefined ? 0 : o.excluded;
  const rq = makeRangeQuery(index, query, { k: o.k, exact: o.exact, excluded, alpha: o.alpha });
  if (rq.terms.length === 0) return { hits: [], postingsScored: 0, candidates: 0 };
  // Slots are u16 (0 = not in the query): a query of 65535 terms or more runs on the reference.
  const kernel = o.reference || rq.terms.length >= 65535 ? undefined : RangeKernel.of(index, o.k);
  if (kernel === undefined) return referenceSearch(index, rq, o);
  const result = kernel.search(rq, o.k, o.filter, o.phases === true);
  if (needsFullScan(rq, result.hits, o.k)) {
    const full = kernel.scanAll(rq, o.k, o.filter);
    full.postingsScored += result.postingsScored;
    return finish(full, rq);
  }
  return finish(result, rq);
}

/**
 * Bounds count positive terms only: a document matching negative terms alone sits in a range
 * whose bound is 0 and is never visited. It matters only while the k-th score is <= 0.
 */
function needsFullScan(rq: RangeQuery, hits: DocHit[], k: number): boolean {
  if (!rq.hasNonPositive) return false;
  if (hits.length < k) return true;
  let worst = Infinity;
  for (const h of hits) if (h.score < worst) worst = h.score;
  return worst <= 0;
}

function referenceSearch(index: SegmentIndex, rq: RangeQuery, o: RangeSearchOptions): RangeSearchResult {
  let out = rangeSearchReference(index.ranges, index.forward, rq, o.k, o.filter);
  let postings = out.postingsScored;
  if (needsFullScan(rq, out.collector.results(), o.k)) {
    out = scanAllReference(index.forward, rq, o.k, o.filter, index.numDocs);
    postings += out.postingsScored;
  }
  return finish({ hits: out.collector.results(), postingsScored: postings, candidates: out.candidates }, rq);
}

function finish(r: RangeSearchResult, rq: RangeQuery): RangeSearchResult {
  r.hits.sort(compareHits);
  if (rq.quantized) for (const h of r.hits) h.score *= rq.scoreUnit;
  return r;
}

interface KernelExports {
  setSegment(nDocs: number, nRanges: number, stride: number, start: number, terms: number, weights: number, rows: number): void;
  setScratch(slots: number, weights: number, dense: number, rare: number, bounds: number, cr: number, cb: number, ord: number, bins: number, hs: number, hd: number): void;
  search(nDense: number, nRare: number, k: number, collectUnits: number, scale: number, slack: number, quant: number, step: number, maxImp: number, filter: number, time: number): number;
  scanAll(k: number, quant: number, step: number, maxImp: number, filter: number): number;
  postingsScored(): number;
  candidates(): number;
  boundsMs(): number;
  collectMs(): number;
  scoreMs(): number;
}

/** Heap capacity of a kernel: larger k runs on the reference. */
export const KERNEL_MAX_K = 10_000;
const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: one wasm32 memory

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel module, or null when dist/ has no range-kernel.wasm (not built). */
function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  const here = fileURLToPath(new URL("./wasm/range-kernel.wasm", import.meta.url));
  // Run from TypeScript sources (vitest), the kernel is the one `npm run build` put in dist/.
  const candidates = [here, here.replace(/([\\/])engine([\\/])search([\\/])wasm/, "$1dist$1engine$2search$3wasm")];
  const path = candidates.find((p) => existsSync(p));
  compiled = path === undefined ? null : new WebAssembly.Module(readFileSync(path));
  return compiled;
}

/** Whether the WebAssembly kernel is built and loadable here. */
export function rangeKernelAvailable(): boolean {
  return kernelModule() !== null;
}

const kernels = new WeakMap<SegmentIndex, RangeKernel | null>();

/**
 * One segment's kernel instance and its memory: the forward index and the range layout are
 * copied in once (the segment's own arrays are then swapped for views into that memory, so the
 * data is held once), followed by scratch sized for the segment. The memory never grows, so
 * views stay valid for the segment's life.
 */
class RangeKernel {
  private readonly x: KernelExports;
  private readonly mem: WebAssembly.Memory;
  private readonly slotMap: Uint16Array;
  private readonly slotWeight: Float64Array;
  private readonly denseList: Uint32Array;
  private readonly rareList: Uint32Array;
  private readonly heapScore: Float64Array;
  private readonly heapDoc: Int32Array;
  private readonly rareBase: number;
  private filter: DocFilter | undefined;

  static of(index: SegmentIndex, k: number): RangeKernel | undefined {
    if (k > KERNEL_MAX_K) return undefined;
    let kernel = kernels.get(index);
    if (kernel === undefined) {
      kernel = RangeKernel.create(index);
      kernels.set(index, kernel);
    }
    return kernel ?? undefined;
  }

  private static create(index: SegmentIndex): RangeKernel | null {
    const module = kernelModule();
    if (module === null || !(index.forward.terms instanceof Uint16Array)) return null;
    const bytes = kernelBytes(index);
    if (bytes > MAX_PAGES * PAGE) return null;
    return new RangeKernel(module, index, bytes);
  }

  private constructor(module: WebAssembly.Module, index: SegmentIndex, bytes: number) {
    const pages = Math.ceil(bytes / PAGE);
    this.mem = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory: this.mem,
        accept: (doc: number) => (this.filter!(doc) ? 1 : 0),
        now: () => performance.now(),
      },
    });
    this.x = instance.exports as unknown as KernelExports;
    const buf = this.mem.buffer;
    const layout = index.ranges;
    const fwd = index.forward;
    let at = 1024;
    const reserve = (byteLength: number): number => {
      const offset = at;
      at += Math.ceil(byteLength / 16) * 16;
      return offset;
    };
    const place = <T>(make: (off: number) => T, byteLength: number): T => make(reserve(byteLength));
    const n = fwd.numDocs, p = fwd.terms.length, v = layout.numTerms, stride = layout.stride;
    const docStart = place((o) => new Uint32Array(buf, o, n + 1), (n + 1) * 4);
    const terms = place((o) => new Uint16Array(buf, o, p), p * 2);
    const weights = place((o) => new Float32Array(buf, o, p), p * 4);
    const rows = place((o) => new Uint8Array(buf, o, layout.a.rows.length), layout.a.rows.length);
    const rare = place((o) => new Uint16Array(buf, o, layout.a.rare.length), layout.a.rare.length * 2);
    docStart.set(fwd.docStart);
    terms.set(fwd.terms);
    weights.set(fwd.weights);
    rows.set(layout.a.rows);
    rare.set(layout.a.rare);
    index.forward = new ForwardIndex(docStart, terms, weights);
    layout.a.rows = rows;
    layout.a.rare = rare;
    this.rareBase = rare.byteOffset;
    this.slotMap = place((o) => new Uint16Array(buf, o, v), v * 2);
    this.slotWeight = place((o) => new Float64Array(buf, o, v + 1), (v + 1) * 8);
    this.denseList = place((o) => new Uint32Array(buf, o, 2 * v), 8 * v);
    this.rareList = place((o) => new Uint32Array(buf, o, 4 * v), 16 * v);
    const bounds = reserve(WINDOW_RANGES * 2);
    const candRange = reserve(stride * 4);
    const candBound = reserve(stride * 2);
    const order = reserve(stride * 4);
    const bins = reserve(4097 * 4);
    this.heapScore = place((o) => new Float64Array(buf, o, KERNEL_MAX_K), KERNEL_MAX_K * 8);
    this.heapDoc = place((o) => new Int32Array(buf, o, KERNEL_MAX_K), KERNEL_MAX_K * 4);
    this.x.setSegment(n, layout.numRanges, stride, docStart.byteOffset, terms.byteOffset, weights.byteOffset, rows.byteOffset);
    this.x.setScratch(
      this.slotMap.byteOffset, this.slotWeight.byteOffset, this.denseList.byteOffset, this.rareList.byteOffset,
      bounds, candRange, candBound, order, bins, this.heapScore.byteOffset, this.heapDoc.byteOffset,
    );
  }

  search(rq: RangeQuery, k: number, filter: DocFilter | undefined, timing: boolean): RangeSearchResult {
    this.load(rq);
    this.filter = filter;
    const nDense = rq.dense.length / 2, nRare = rq.rare.length / 3;
    for (let j = 0; j < nDense; j++) {
      this.denseList[2 * j] = rq.dense[2 * j]!;
      this.denseList[2 * j + 1] = rq.dense[2 * j + 1]!;
    }
    for (let j = 0; j < nRare; j++) {
      this.rareList[4 * j] = this.rareBase + 2 * rq.rare[3 * j]!;
      this.rareList[4 * j + 1] = this.rareBase + 2 * rq.rare[3 * j + 1]!;
      this.rareList[4 * j + 2] = rq.rare[3 * j + 2]!;
      this.rareList[4 * j + 3] = 0;
    }
    const size = this.x.search(
      nDense, nRare, k, rq.collectUnits, rq.thrScale, rq.slackUnits,
      rq.quantized ? 1 : 0, rq.quantStep, rq.maxImpact, filter ? 1 : 0, timing ? 1 : 0,
    );
    const result = this.collect(size, rq);
    result.candidates = this.x.candidates();
    if (timing) result.phases = { boundsMs: this.x.boundsMs(), collectMs: this.x.collectMs(), scoreMs: this.x.scoreMs() };
    return result;
  }

  scanAll(rq: RangeQuery, k: number, filter: DocFilter | undefined): RangeSearchResult {
    this.load(rq);
    this.filter = filter;
    const size = this.x.scanAll(k, rq.quantized ? 1 : 0, rq.quantStep, rq.maxImpact, filter ? 1 : 0);
    return this.collect(size, rq);
  }

  /** Query terms into the slot map (slot + 1; 0 = not in the query). */
  private load(rq: RangeQuery): void {
    for (let i = 0; i < rq.terms.length; i++) {
      this.slotMap[rq.terms[i]!] = i + 1;
      this.slotWeight[i + 1] = rq.scoreWeights[i]!;
    }
  }

  private collect(size: number, rq: RangeQuery): RangeSearchResult {
    for (const t of rq.terms) this.slotMap[t] = 0;
    this.filter = undefined;
    const hits: DocHit[] = new Array(size);
    for (let i = 0; i < size; i++) hits[i] = { doc: this.heapDoc[i]!, score: this.heapScore[i]! };
    return { hits, postingsScored: this.x.postingsScored(), candidates: 0 };
  }

}

function kernelBytes(index: SegmentIndex): number {
  const r16 = (b: number) => Math.ceil(b / 16) * 16;
  const n = index.numDocs, p = index.numPostings, l = index.ranges, v = l.numTerms, stride = l.stride;
  return (
    1024 + r16((n + 1) * 4) + r16(p * 2) + r16(p * 4) + r16(l.a.rows.length) + r16(l.a.rare.length * 2) +
    r16(v * 2) + r16((v + 1) * 8) + r16(8 * v) + r16(16 * v) + r16(WINDOW_RANGES * 2) + r16(stride * 4) + r16(stride * 2) + r16(stride * 4) +
    r16(4097 * 4) + r16(KERNEL_MAX_K * 8) + r16(KERNEL_MAX_K * 4)
  );
}
