import { parentPort, workerData } from "node:worker_threads";
import { clearQuery, runKernelSearch, type KernelExports, type KernelQuery, type KernelTables } from "../search/kernel-abi.js";
import { decodeSearch, encodeReply } from "./search-message.js";

/**
 * A search thread of engine/server/search-pool.ts. It runs the range-search kernel over
 * segments whose kernel memory is a shared WebAssembly.Memory (engine/search/range-search.ts,
 * shareRangeKernels): one kernel instance per segment over that same memory, with this
 * worker's own scratch area, so the segment's data is held once for every thread. The main
 * thread makes each query's RangeQuery; this thread loads it into its scratch with the same
 * code as RangeKernel.search (engine/search/kernel-abi.ts), calls the kernel and sends back its
 * heap (docs, scores).
 *
 * Messages in: {t: "segment", id, memory, segment, scratch, rareBase, numTerms} (once per
 * segment), {t: "deletions", id, bits} (a segment's deletion bitset, when it changed), a search
 * (an ArrayBuffer of search-message.ts's encodeSearch) and {t: "forget", id}; out: a reply
 * (an ArrayBuffer of encodeReply) or {job, error}. It imports only kernel-abi.ts and
 * search-message.ts (which import nothing), so it loads the same from TypeScript sources'
 * tests (from dist/) as in the package.
 */

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

interface DeletionsMessage {
  t: "deletions";
  id: number;
  /** The segment's deletion bitset (bit d set: doc d deleted), shared and never changed: the searches after this message apply it. */
  bits: Uint8Array;
}

class SegmentKernel {
  private readonly x: KernelExports;
  private readonly tables: KernelTables;
  private readonly heapScore: Float64Array;
  private readonly heapDoc: Int32Array;
  private deleted: Uint8Array | undefined;
  /** The bitset of the last deletions message for this segment. */
  deletions: Uint8Array | undefined;

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
    this.tables = {
      slotMap: new Uint16Array(buf, s[0], v),
      slotWeight: new Float64Array(buf, s[1], v + 1),
      denseList: new Uint32Array(buf, s[2], 2 * v),
      nibbleList: new Uint32Array(buf, s[3], 2 * v),
      rareList: new Uint32Array(buf, s[4], 4 * v),
      rareBase: m.rareBase,
    };
    this.heapScore = new Float64Array(buf, s[10], m.maxK);
    this.heapDoc = new Int32Array(buf, s[11], m.maxK);
  }

  /** Runs the search; returns its reply (search-message.ts). */
  search(job: number, rq: KernelQuery, k: number, deleted: Uint8Array | undefined): ArrayBuffer {
    this.deleted = deleted;
    try {
      const size = runKernelSearch(this.x, this.tables, rq, k, deleted !== undefined, false);
      return encodeReply(job, this.heapDoc, this.heapScore, size, this.x.postingsScored(), this.x.candidates());
    } finally {
      clearQuery(this.tables, rq);
      this.deleted = undefined;
    }
  }

}

const module = (workerData as { module: WebAssembly.Module }).module;
const segments = new Map<number, SegmentKernel>();

parentPort!.on("message", (m: ArrayBuffer | SegmentMessage | DeletionsMessage | { t: "forget"; id: number }) => {
  if (m instanceof ArrayBuffer) {
    search(m);
    return;
  }
  if (m.t === "segment") {
    segments.set(m.id, new SegmentKernel(module, m));
    return;
  }
  if (m.t === "deletions") {
    const kernel = segments.get(m.id);
    if (kernel !== undefined) kernel.deletions = m.bits;
    return;
  }
  if (m.t === "forget") segments.delete(m.id);
});

function search(buffer: ArrayBuffer): void {
  let job = -1;
  try {
    const s = decodeSearch(buffer);
    job = s.job;
    const kernel = segments.get(s.segment);
    if (kernel === undefined) throw new Error(`segment ${s.segment} was never sent to this worker`);
    if (s.deletions && kernel.deletions === undefined) throw new Error(`segment ${s.segment}'s deletions were never sent to this worker`);
    const reply = kernel.search(s.job, s.rq, s.k, s.deletions ? kernel.deletions : undefined);
    parentPort!.postMessage(reply, [reply]);
  } catch (e) {
    parentPort!.postMessage({ job, error: (e as Error).message ?? String(e) });
  }
}
