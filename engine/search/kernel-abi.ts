/**
 * The range kernel's interface as seen from JavaScript (wasm/range-kernel.ts's exports) and the
 * one way a query is written into a scratch area's tables. Used by the main thread's kernel
 * (range-search.ts) and by the server's search threads (engine/server/search-worker.ts), so the
 * two cannot drift. Imports nothing: the worker loads it without the rest of the engine.
 */
export interface KernelExports {
  setSegment(nDocs: number, nRanges: number, stride: number, start: number, terms: number, weights: number, rows: number, nibbleRows: number): void;
  setScratch(slots: number, weights: number, dense: number, nibble: number, rare: number, bounds: number, cr: number, cb: number, ord: number, bins: number, hs: number, hd: number, refine: number): void;
  search(nDense: number, nNibble: number, nRare: number, k: number, collectUnits: number, scale: number, slack: number, quant: number, step: number, maxImp: number, filter: number, time: number, maxRanges: number, refineTerms: number): number;
  scanAll(k: number, quant: number, step: number, maxImp: number, filter: number): number;
  postingsScored(): number;
  checked(): number;
  candidates(): number;
  boundsMs(): number;
  collectMs(): number;
  scoreMs(): number;
}

/** The fields of a RangeQuery (range-query.ts) the kernel reads; plain arrays or typed arrays. */
export interface KernelQuery {
  terms: ArrayLike<number>;
  scoreWeights: ArrayLike<number>;
  dense: ArrayLike<number>;
  nibble: ArrayLike<number>;
  rare: ArrayLike<number>;
  collectUnits: number;
  thrScale: number;
  slackUnits: number;
  quantized: boolean;
  quantStep: number;
  maxImpact: number;
  /** Score at most this many ranges, best first (0 or absent: no cap; approximate mode). */
  maxRanges?: number;
  /** Per-document bound refinement (range-query.ts): REFINE_FIELDS numbers per term, at most REFINE_TERMS terms. */
  refine?: ArrayLike<number>;
}

/** Most terms a query refines its documents' bounds with (the kernel's refine scratch holds this many). */
export const REFINE_TERMS = 4;
/** Numbers per refining term: row offset, kind, term, bound weight, level unit. */
export const REFINE_FIELDS = 5;
/** Bytes of a scratch area's refine table: REFINE_FIELDS float64 per term. */
export const REFINE_BYTES = REFINE_TERMS * REFINE_FIELDS * 8;

/** One scratch area's query tables, views into the kernel memory. */
export interface KernelTables {
  slotMap: Uint16Array;
  slotWeight: Float64Array;
  denseList: Uint32Array;
  nibbleList: Uint32Array;
  rareList: Uint32Array;
  /** Float64[REFINE_FIELDS * REFINE_TERMS]: the query's refining terms. */
  refineList: Float64Array;
  /** Byte offset of the segment's rare entries in the memory. */
  rareBase: number;
}

/**
 * Writes the query into the tables (slot map: term -> slot + 1) and runs the kernel's search;
 * returns the heap size. The slot map is cleared again by clearQuery.
 */
export function runKernelSearch(x: KernelExports, t: KernelTables, rq: KernelQuery, k: number, filter: boolean, timing: boolean): number {
  loadSlots(t, rq);
  const nDense = rq.dense.length / 2, nNibble = rq.nibble.length / 2, nRare = rq.rare.length / 3;
  t.denseList.set(rq.dense);
  t.nibbleList.set(rq.nibble);
  const refine = rq.refine ?? [];
  if (refine.length > REFINE_FIELDS * REFINE_TERMS) throw new RangeError(`a range query refines with at most ${REFINE_TERMS} terms, not ${refine.length / REFINE_FIELDS}`);
  t.refineList.set(refine);
  for (let j = 0; j < nRare; j++) {
    t.rareList[4 * j] = t.rareBase + 2 * rq.rare[3 * j]!;
    t.rareList[4 * j + 1] = t.rareBase + 2 * rq.rare[3 * j + 1]!;
    t.rareList[4 * j + 2] = rq.rare[3 * j + 2]!;
    t.rareList[4 * j + 3] = 0; // the term's page cursor starts at page 0
  }
  return x.search(
    nDense, nNibble, nRare, k, rq.collectUnits, rq.thrScale, rq.slackUnits,
    rq.quantized ? 1 : 0, rq.quantStep, rq.maxImpact, filter ? 1 : 0, timing ? 1 : 0, rq.maxRanges ?? 0, refine.length / REFINE_FIELDS,
  );
}

/** Query terms into the slot map (slot + 1; 0 = not in the query) and their scoring weights. */
export function loadSlots(t: KernelTables, rq: KernelQuery): void {
  for (let i = 0; i < rq.terms.length; i++) {
    t.slotMap[rq.terms[i]!] = i + 1;
    t.slotWeight[i + 1] = rq.scoreWeights[i]!;
  }
}

export function clearQuery(t: KernelTables, rq: KernelQuery): void {
  for (let i = 0; i < rq.terms.length; i++) t.slotMap[rq.terms[i]!] = 0;
}
