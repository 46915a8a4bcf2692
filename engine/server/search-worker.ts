import { parentPort, workerData } from "node:worker_threads";

/**
 * A search thread of engine/server/search-pool.ts. It runs the range-search kernel over
 * segments whose kernel memory is a shared WebAssembly.Memory (engine/search/range-search.ts,
 * shareRangeKernels): one kernel instance per segment over that same memory, with this
 * worker's own scratch area, so the segment's data is held once for every thread. The main
 * thread makes each query's RangeQuery; this thread loads it into its scratch exactly as
 * RangeKernel.search does, calls the kernel and sends back its heap (docs, scores).
 *
 * Messages in: {t: "segment", id, memory, segment, scratch, rareBase, numTerms} (once per
 * segment), {t: "search", job, id, rq, k, deleted?} and {t: "forget", id}; out: {job, docs,
 * scores, postings, candidates} or {job, error}. Imports nothing from the engine, so it loads
 * the same from TypeScript sources' tests (from dist/) as in the package.
 */

interface KernelExports {
  setSegment(nDocs: number, nRanges: number, stride: number, start: number, terms: number, weights: number, rows: number, nibbleRows: number): void;
  setScratch(slots: number, weights: number, dense: number, nibble: number, rare: number, bounds: number, cr: number, cb: number, ord: number, bins: number, hs: number, hd: number): void;
  search(nDense: number, nNibble: number, nRare: number, k: number, collectUnits: number, scale: number, slack: number, quant: number, step: number, maxImp: number, filter: number, time: number): number;
  postingsScored(): number;
  candidates(): number;
}

/** The RangeQuery fields the kernel reads (engine/search/range-query.ts). */
interface WireRangeQuery {
  terms: Uint32Array;
  scoreWeights: Float64Array;
  dense: Uint32Array;
  nibble: Uint32Array;
  rare: Uint32Array;
  collectUnits: number;
  thrScale: number;
  slackUnits: number;
  quantized: boolean;
  quantStep: number;
  maxImpact: number;
}

interface SegmentMessage {
  t: "segment";
  id: number;
  memory: WebAssembly.Memory;
  segment: number[];
  scratch: number[];
  rareBase: number;
  numTerms: number;
  maxK: number;
}

interface SearchMessage {
  t: "search";
  job: number;
  id: number;
  rq: WireRangeQuery;
  k: number;
  /** The segment's deletion bitset (bit d set: doc d deleted), shared, as of the search's start. */
  deleted?: Uint8Array;
}

class SegmentKernel {
  private readonly x: KernelExports;
  private readonly slotMap: Uint16Array;
  private readonly slotWeight: Float64Array;
  private readonly denseList: Uint32Array;
  private readonly nibbleList: Uint32Array;
  private readonly rareList: Uint32Array;
  private readonly heapScore: Float64Array;
  private readonly heapDoc: Int32Array;
  private readonly rareBase: number;
  private deleted: Uint8Array | undefined;

  constructor(module: WebAssembly.Module, m: SegmentMessage) {
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory: m.memory,
        accept: (doc: number) => ((this.deleted![doc >> 3]! & (1 << (doc & 7))) === 0 ? 1 : 0),
        now: () => performance.now(),
      },
    });
    this.x = instance.exports as unknown as KernelExports;
    const [n, ranges, stride, start, terms, weights, rows, nibbleRows] = m.segment as [number, number, number, number, number, number, number, number];
    this.x.setSegment(n, ranges, stride, start, terms, weights, rows, nibbleRows);
    const s = m.scratch as [number, number, number, number, number, number, number, number, number, number, number, number];
    this.x.setScratch(...s);
    const buf = m.memory.buffer;
    const v = m.numTerms;
    this.slotMap = new Uint16Array(buf, s[0], v);
    this.slotWeight = new Float64Array(buf, s[1], v + 1);
    this.denseList = new Uint32Array(buf, s[2], 2 * v);
    this.nibbleList = new Uint32Array(buf, s[3], 2 * v);
    this.rareList = new Uint32Array(buf, s[4], 4 * v);
    this.heapScore = new Float64Array(buf, s[10], m.maxK);
    this.heapDoc = new Int32Array(buf, s[11], m.maxK);
    this.rareBase = m.rareBase;
  }

  search(rq: WireRangeQuery, k: number, deleted: Uint8Array | undefined): { docs: Int32Array; scores: Float64Array; postings: number; candidates: number } {
    for (let i = 0; i < rq.terms.length; i++) {
      this.slotMap[rq.terms[i]!] = i + 1;
      this.slotWeight[i + 1] = rq.scoreWeights[i]!;
    }
    const nDense = rq.dense.length / 2, nNibble = rq.nibble.length / 2, nRare = rq.rare.length / 3;
    this.denseList.set(rq.dense);
    this.nibbleList.set(rq.nibble);
    for (let j = 0; j < nRare; j++) {
      this.rareList[4 * j] = this.rareBase + 2 * rq.rare[3 * j]!;
      this.rareList[4 * j + 1] = this.rareBase + 2 * rq.rare[3 * j + 1]!;
      this.rareList[4 * j + 2] = rq.rare[3 * j + 2]!;
      this.rareList[4 * j + 3] = 0;
    }
    this.deleted = deleted;
    try {
      const size = this.x.search(
        nDense, nNibble, nRare, k, rq.collectUnits, rq.thrScale, rq.slackUnits,
        rq.quantized ? 1 : 0, rq.quantStep, rq.maxImpact, deleted ? 1 : 0, 0,
      );
      return { docs: this.heapDoc.slice(0, size), scores: this.heapScore.slice(0, size), postings: this.x.postingsScored(), candidates: this.x.candidates() };
    } finally {
      for (const t of rq.terms) this.slotMap[t] = 0;
      this.deleted = undefined;
    }
  }
}

const module = (workerData as { module: WebAssembly.Module }).module;
const segments = new Map<number, SegmentKernel>();

parentPort!.on("message", (m: SegmentMessage | SearchMessage | { t: "forget"; id: number }) => {
  if (m.t === "segment") {
    segments.set(m.id, new SegmentKernel(module, m));
    return;
  }
  if (m.t === "forget") {
    segments.delete(m.id);
    return;
  }
  try {
    const kernel = segments.get(m.id);
    if (kernel === undefined) throw new Error(`segment ${m.id} was never sent to this worker`);
    const r = kernel.search(m.rq, m.k, m.deleted);
    // slice() copies into fresh (unshared) buffers, which can be transferred.
    parentPort!.postMessage({ job: m.job, ...r }, [r.docs.buffer as ArrayBuffer, r.scores.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ job: m.job, error: (e as Error).message ?? String(e) });
  }
});
