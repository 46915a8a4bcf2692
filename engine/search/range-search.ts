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
import { clearQuery, loadSlots, REFINE_BYTES, REFINE_FIELDS, REFINE_TERMS, runKernelSearch, type KernelExports, type KernelTables } from "./kernel-abi.js";
import { KernelMemory, MAX_KERNEL_BYTES, takePlacedMemory } from "./kernel-memory.js";

/**
 * Exact top-k over the range layout (engine/index/range-layout.ts), the default search:
 * 1. bounds, window by window (4096 ranges of 4 documents, u16, in L1): SIMD over the dense rows
 *    of the query's common terms, then the (level, offset) entries of its rare terms;
 * 2. collect the ranges whose bound reaches the starting threshold (SIMD compare), counting-sort
 *    them by bound;
 * 3. score best-first from the forward index, each range's 4 documents in float (exact mode:
 *    the true dot product, so no re-scoring pass is needed), keeping the top-k in a heap; stop
 *    when the next bound cannot reach the k-th score. Once the heap is full, a document is first
 *    checked against its own bound for the query's heaviest rowed terms (range-query.ts,
 *    "Document bounds") and skipped when that cannot reach the k-th score either.
 * One WebAssembly call per segment (wasm/range-kernel.ts), over a memory that holds the
 * segment's forward index and range layout; range-query.ts derives the bounds' arithmetic and
 * why it is rank-safe.
 *
 * Deletes and filters: the kernel calls back into JavaScript (`accept`, 3-8 ns a call) only for
 * a document that would enter the top-k, so a filter costs a few calls per query instead of a
 * bitset compiled over every document per search; a rejected document simply does not enter,
 * the threshold stays lower, and more ranges are visited, so a filtered search still returns k
 * hits whenever k documents match. A deletions-only filter keeps the rank-safe starting
 * threshold (the K-th weights with K = k + deleted); any other filter starts from none.
 *
 * Limits: term ids must fit u16 (vocabularies up to 65536 terms; BERT's has 30522) and k at most
 * KERNEL_MAX_K; beyond either, and where the kernel is not built, the TypeScript reference runs.
 * One memory holds at most 4 GiB, about 8.5 bytes per posting plus 4 per document: a segment of
 * 2M documents of 120 terms needs ~2 GiB, and the merge policy caps merged segments at 300M
 * postings (engine/collection/merge-policy.ts).
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
  /** Documents of visited ranges whose own bound was computed before scoring (range-query.ts). */
  checked: number;
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
  /** Bound scaling in (0, 2] (range-query.ts): below 1 trades recall for speed; 1 by default (exact). */
  alpha?: number;
  /** Only documents scoring >= this are wanted: ranges that cannot reach it are skipped (range-query.ts); hits below it may still come back. */
  minScore?: number;
  /** Share of the query's mass whose terms enter the bounds (range-query.ts); 1 by default (all). */
  boundMass?: number;
  /** Score at most this many ranges, best first; 0 or undefined: no cap. */
  maxRanges?: number;
  /** Terms each visited document's bound is refined with before it is scored (range-query.ts); REFINE_TERMS by default, 0: off. */
  refineTerms?: number;
}

export function rangeSearch(index: SegmentIndex, query: SparseVector, o: RangeSearchOptions): RangeSearchResult {
  const excluded = o.filter === undefined ? 0 : o.excluded;
  const rq = makeRangeQuery(index, query, { k: o.k, exact: o.exact, excluded, alpha: o.alpha, minScore: o.minScore, boundMass: o.boundMass, maxRanges: o.maxRanges, refineTerms: o.refineTerms });
  if (rq.terms.length === 0) return { hits: [], postingsScored: 0, candidates: 0, checked: 0 };
  // Slots are u16 (0 = not in the query): a query of 65535 terms or more runs on the reference.
  const kernel = o.reference || rq.terms.length >= 65535 ? undefined : RangeKernel.of(index, o.k);
  if (kernel === undefined) return referenceSearch(index, rq, o);
  const result = kernel.search(rq, o.k, o.filter, o.phases === true);
  if (needsFullScan(rq, result.hits, o.k, o.minScore)) {
    const full = kernel.scanAll(rq, o.k, o.filter);
    full.postingsScored += result.postingsScored;
    full.checked += result.checked;
    return finish(full, rq);
  }
  return finish(result, rq);
}

/**
 * Bounds count positive terms only: a document matching negative terms alone sits in a range
 * whose bound is 0 and is never visited. It matters only while the k-th score is <= 0.
 */
function needsFullScan(rq: RangeQuery, hits: DocHit[], k: number, minScore: number | undefined): boolean {
  // Nothing scoring <= 0 is wanted under a positive score threshold.
  if (!rq.hasNonPositive || (minScore !== undefined && minScore > 0)) return false;
  if (hits.length < k) return true;
  let worst = Infinity;
  for (const h of hits) if (h.score < worst) worst = h.score;
  return worst <= 0;
}

function referenceSearch(index: SegmentIndex, rq: RangeQuery, o: RangeSearchOptions): RangeSearchResult {
  let out = rangeSearchReference(index.ranges, index.forward, rq, o.k, o.filter);
  let postings = out.postingsScored;
  const checked = out.checked;
  if (needsFullScan(rq, out.collector.results(), o.k, o.minScore)) {
    out = scanAllReference(index.forward, rq, o.k, o.filter, index.numDocs);
    postings += out.postingsScored;
  }
  return finish({ hits: out.collector.results(), postingsScored: postings, candidates: out.candidates, checked }, rq);
}

function finish(r: RangeSearchResult, rq: RangeQuery): RangeSearchResult {
  r.hits.sort(compareHits);
  if (rq.quantized) for (const h of r.hits) h.score *= rq.scoreUnit;
  return r;
}


/** Heap capacity of a kernel: larger k runs on the reference. */
export const KERNEL_MAX_K = 10_000;

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
  private readonly slotMap: Uint16Array;
  private readonly slotWeight: Float64Array;
  private readonly denseList: Uint32Array;
  private readonly nibbleList: Uint32Array;
  private readonly rareList: Uint32Array;
  private readonly refineList: Float64Array;
  private readonly heapScore: Float64Array;
  private readonly heapDoc: Int32Array;
  private readonly rareBase: number;
  private readonly tables: KernelTables;
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
    const placed = takePlacedMemory(index);
    if (module === null || !(index.forward.terms instanceof Uint16Array)) return null;
    // The segment's arrays already in the memory its file was read into stay where they are;
    // anything else (a segment built in memory, a layout derived at open) is copied in.
    const inPlaced = (a: ArrayBufferView) => placed !== undefined && placed.holds(a);
    const copied = [index.forward.docStart, index.forward.terms, index.forward.weights, index.ranges.a.rows, index.ranges.a.nibbleRows, index.ranges.a.rare]
      .filter((a) => !inPlaced(a))
      .reduce((n, a) => n + a.byteLength + 16, 0);
    // One scratch area for this thread and one for each search worker (shareRangeKernels).
    const scratch = (1 + (sharing?.workers ?? 0)) * scratchBytes(index);
    const bytes = (placed === undefined ? 0 : placed.buffer.byteLength) + copied + scratch;
    if (bytes > MAX_KERNEL_BYTES) return null;
    return new RangeKernel(module, index, placed ?? new KernelMemory(copied + scratch));
  }

  /** Set when kernels are shared (shareRangeKernels): what a worker thread needs to search this one. */
  share: RangeKernelShare | undefined;

  private constructor(module: WebAssembly.Module, index: SegmentIndex, mem: KernelMemory) {
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory: mem.memory,
        accept: (doc: number) => (this.filter!(doc) ? 1 : 0),
        now: () => performance.now(),
      },
    });
    this.x = instance.exports as unknown as KernelExports;
    const layout = index.ranges;
    const fwd = index.forward;
    /** The array itself when it is in the memory already, else a copy placed there. */
    const inMemory = <T extends Uint8Array | Uint16Array | Uint32Array | Float32Array>(a: T, make: (buf: ArrayBufferLike, off: number, n: number) => T): T => {
      if (mem.holds(a)) return a;
      const copy = make(mem.buffer, mem.reserve(a.byteLength), a.length);
      copy.set(a as never);
      return copy;
    };
    const docStart = inMemory(fwd.docStart, (b, o, n) => new Uint32Array(b, o, n));
    const terms = inMemory(fwd.terms as Uint16Array, (b, o, n) => new Uint16Array(b, o, n));
    const weights = inMemory(fwd.weights, (b, o, n) => new Float32Array(b, o, n));
    const rows = inMemory(layout.a.rows, (b, o, n) => new Uint8Array(b, o, n));
    const nibbleRows = inMemory(layout.a.nibbleRows, (b, o, n) => new Uint8Array(b, o, n));
    const rare = inMemory(layout.a.rare, (b, o, n) => new Uint16Array(b, o, n));
    // The segment keeps views into the memory, so its data is held once.
    if (docStart !== fwd.docStart || terms !== fwd.terms || weights !== fwd.weights) index.forward = new ForwardIndex(docStart, terms, weights);
    layout.a.rows = rows;
    layout.a.nibbleRows = nibbleRows;
    layout.a.rare = rare;
    this.rareBase = rare.byteOffset;
    const v = layout.numTerms, stride = layout.stride, n = fwd.numDocs;
    const place = <T>(make: (buf: ArrayBufferLike, off: number) => T, byteLength: number): T => {
      const off = mem.reserve(byteLength);
      return make(mem.buffer, off);
    };
    this.slotMap = place((b, o) => new Uint16Array(b, o, v), v * 2);
    this.slotWeight = place((b, o) => new Float64Array(b, o, v + 1), (v + 1) * 8);
    this.denseList = place((b, o) => new Uint32Array(b, o, 2 * v), 8 * v);
    this.nibbleList = place((b, o) => new Uint32Array(b, o, 2 * v), 8 * v);
    this.rareList = place((b, o) => new Uint32Array(b, o, 4 * v), 16 * v);
    const bounds = mem.reserve(WINDOW_RANGES * 2);
    const candRange = mem.reserve(stride * 4);
    const candBound = mem.reserve(stride * 2);
    const order = mem.reserve(stride * 4);
    const bins = mem.reserve(4097 * 4);
    this.heapScore = place((b, o) => new Float64Array(b, o, KERNEL_MAX_K), KERNEL_MAX_K * 8);
    this.heapDoc = place((b, o) => new Int32Array(b, o, KERNEL_MAX_K), KERNEL_MAX_K * 4);
    this.refineList = place((b, o) => new Float64Array(b, o, REFINE_FIELDS * REFINE_TERMS), REFINE_BYTES);
    this.x.setSegment(n, layout.numRanges, stride, docStart.byteOffset, terms.byteOffset, weights.byteOffset, rows.byteOffset, nibbleRows.byteOffset);
    this.x.setScratch(
      this.slotMap.byteOffset, this.slotWeight.byteOffset, this.denseList.byteOffset, this.nibbleList.byteOffset, this.rareList.byteOffset,
      bounds, candRange, candBound, order, bins, this.heapScore.byteOffset, this.heapDoc.byteOffset, this.refineList.byteOffset,
    );
    this.tables = {
      slotMap: this.slotMap, slotWeight: this.slotWeight, denseList: this.denseList, nibbleList: this.nibbleList, rareList: this.rareList,
      refineList: this.refineList, rareBase: this.rareBase,
    };
    if (sharing !== undefined) {
      // One more scratch area per worker thread, in setScratch's argument order.
      const r = (bytes: number) => mem.reserve(bytes);
      const scratch = Array.from({ length: sharing.workers }, () => [
        r(v * 2), r((v + 1) * 8), r(8 * v), r(8 * v), r(16 * v), r(WINDOW_RANGES * 2),
        r(stride * 4), r(stride * 2), r(stride * 4), r(4097 * 4), r(KERNEL_MAX_K * 8), r(KERNEL_MAX_K * 4), r(REFINE_BYTES),
      ]);
      const segment = [n, layout.numRanges, stride, docStart.byteOffset, terms.byteOffset, weights.byteOffset, rows.byteOffset, nibbleRows.byteOffset];
      this.share = { memory: mem.memory, segment, scratch, rareBase: this.rareBase, numTerms: v };
    }
  }

  search(rq: RangeQuery, k: number, filter: DocFilter | undefined, timing: boolean): RangeSearchResult {
    this.filter = filter;
    const size = runKernelSearch(this.x, this.tables, rq, k, filter !== undefined, timing);
    const result = this.collect(size, rq);
    result.candidates = this.x.candidates();
    if (timing) result.phases = { boundsMs: this.x.boundsMs(), collectMs: this.x.collectMs(), scoreMs: this.x.scoreMs() };
    return result;
  }

  scanAll(rq: RangeQuery, k: number, filter: DocFilter | undefined): RangeSearchResult {
    loadSlots(this.tables, rq);
    this.filter = filter;
    const size = this.x.scanAll(k, rq.quantized ? 1 : 0, rq.quantStep, rq.maxImpact, filter ? 1 : 0);
    return this.collect(size, rq);
  }

  private collect(size: number, rq: RangeQuery): RangeSearchResult {
    clearQuery(this.tables, rq);
    this.filter = undefined;
    const hits: DocHit[] = new Array(size);
    for (let i = 0; i < size; i++) hits[i] = { doc: this.heapDoc[i]!, score: this.heapScore[i]! };
    return { hits, postingsScored: this.x.postingsScored(), candidates: 0, checked: this.x.checked() };
  }

}

// ---- Sharing a segment's kernel memory with worker threads (engine/server/search-pool.ts) ----

/**
 * What a worker thread needs to run the kernel over one segment: the shared memory, the
 * arguments of setSegment, one set of setScratch arguments per worker (worker i uses
 * scratch[i]; the main thread keeps its own), and the offsets RangeKernel.search writes.
 */
export interface RangeKernelShare {
  memory: WebAssembly.Memory;
  segment: number[];
  scratch: number[][];
  rareBase: number;
  numTerms: number;
}

let sharing: { workers: number; module: WebAssembly.Module } | undefined;

/**
 * From now on every segment's kernel (whose memory is always shared, kernel-memory.ts) gets a
 * scratch area for each of `workers` threads. Kernels made before have none (rangeKernelShare
 * says undefined for them). Returns the kernel module, or null when it is not built (nothing
 * changes then).
 * Set once per process; later calls return the same module and keep the first worker count.
 */
export function shareRangeKernels(workers: number): WebAssembly.Module | null {
  if (sharing !== undefined) return sharing.module;
  const module = kernelModule();
  if (module === null) return null;
  sharing = { workers, module };
  return module;
}

/** The number of worker scratch areas kernels are made with (0 while not sharing). */
export function rangeKernelWorkers(): number {
  return sharing?.workers ?? 0;
}

/** The shared kernel memory of `index` (made now if it has none yet), or undefined where the kernel does not run or its memory is private. */
export function rangeKernelShare(index: SegmentIndex): RangeKernelShare | undefined {
  return RangeKernel.of(index, 1)?.share;
}

/** The kernel's scratch for a segment: query tables, window bounds, candidates, heap. */
function scratchBytes(index: SegmentIndex): number {
  const r16 = (b: number) => Math.ceil(b / 16) * 16;
  const v = index.ranges.numTerms, stride = index.ranges.stride;
  return (
    r16(v * 2) + r16((v + 1) * 8) + r16(8 * v) + r16(8 * v) + r16(16 * v) + r16(WINDOW_RANGES * 2) + r16(stride * 4) + r16(stride * 2) + r16(stride * 4) +
    r16(4097 * 4) + r16(KERNEL_MAX_K * 8) + r16(KERNEL_MAX_K * 4) + r16(REFINE_BYTES)
  );
}
