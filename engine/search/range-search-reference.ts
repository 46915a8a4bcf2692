import type { ForwardIndex } from "../index/forward-index.js";
import { quantizeWeight } from "../index/quantizer.js";
import { RANGE_SHIFT, WINDOW_RANGES, type RangeLayout } from "../index/range-layout.js";
import type { DocFilter } from "./algorithm.js";
import { REFINE_FIELDS } from "./kernel-abi.js";
import type { RangeQuery } from "./range-query.js";
import { TopKCollector } from "./top-k.js";

const BIN_SHIFT = 4;
const BINS = 65536 >> BIN_SHIFT;

export interface RangeSearchOutcome {
  collector: TopKCollector;
  postingsScored: number;
  candidates: number;
  /** Documents whose own bound was computed before scoring (range-query.ts). */
  checked: number;
}

/**
 * The range search in plain TypeScript: the same steps, in the same order and with the same
 * integer arithmetic as the WebAssembly kernel (wasm/range-kernel.ts), so that tests can hold
 * the kernel bit-identical to it. Also the path used where the kernel cannot run (a vocabulary
 * beyond u16 term ids, k above the kernel's heap, no compiled kernel).
 */
export function rangeSearchReference(layout: RangeLayout, forward: ForwardIndex, rq: RangeQuery, k: number, filter: DocFilter | undefined): RangeSearchOutcome {
  const scorer = new ReferenceScorer(forward, rq, k, filter, layout.numDocs, layout);
  const { rows, nibbleRows, rare } = layout.a;
  const bounds = new Uint16Array(WINDOW_RANGES);
  const candRange: number[] = [];
  const candBound: number[] = [];
  const cursors = rq.rare.slice();
  const pages = new Array<number>(rq.rare.length / 3).fill(0);
  for (let w0 = 0; w0 < layout.numRanges; w0 += WINDOW_RANGES) {
    bounds.fill(0);
    for (let j = 0; j < rq.dense.length; j += 2) {
      const base = rq.dense[j]! + w0, bw = rq.dense[j + 1]!;
      for (let x = 0; x < WINDOW_RANGES; x++) bounds[x] = Math.min(65535, bounds[x]! + bw * rows[base + x]!);
    }
    const half = WINDOW_RANGES / 2;
    for (let j = 0; j < rq.nibble.length; j += 2) {
      const base = rq.nibble[j]! + w0 / 2, bw = rq.nibble[j + 1]!;
      for (let x = 0; x < half; x++) {
        const v = nibbleRows[base + x]!;
        // Byte x of its group of 16 holds range 32g + (x & 15) low and 32g + 16 + (x & 15) high.
        const r = ((x >>> 4) << 5) | (x & 15);
        bounds[r] = Math.min(65535, bounds[r]! + bw * (v & 15));
        bounds[r + 16] = Math.min(65535, bounds[r + 16]! + bw * (v >>> 4));
      }
    }
    const pageStart = w0 >>> 8, pageEnd = pageStart + WINDOW_RANGES / 256;
    for (let j = 0; j < cursors.length; j += 3) {
      let p = cursors[j]!;
      const end = cursors[j + 1]!, bw = cursors[j + 2]!;
      let page = pages[j / 3]!;
      if (page >= pageEnd) continue; // a marker moved the term past this window
      while (p < end) {
        const v = rare[p++]!;
        const level = v >>> 8;
        if (level === 0) {
          page += (v & 255) + 1;
          if (page >= pageEnd) break;
          continue;
        }
        const at = ((page - pageStart) << 8) | (v & 255);
        bounds[at] = Math.min(65535, bounds[at]! + bw * level);
      }
      cursors[j] = p;
      pages[j / 3] = page;
    }
    for (let x = 0; x < WINDOW_RANGES; x++) {
      if (bounds[x]! >= rq.collectUnits) {
        candRange.push(w0 + x);
        candBound.push(bounds[x]!);
      }
    }
  }
  // Counting sort by bound >> 4, best bin first, stable inside a bin.
  const nc = candRange.length;
  const start = new Uint32Array(BINS);
  for (let c = 0; c < nc; c++) start[BINS - 1 - (candBound[c]! >> BIN_SHIFT)]!++;
  let sum = 0;
  for (let b = 0; b < BINS; b++) {
    const n = start[b]!;
    start[b] = sum;
    sum += n;
  }
  const order = new Uint32Array(nc);
  for (let c = 0; c < nc; c++) order[start[BINS - 1 - (candBound[c]! >> BIN_SHIFT)]!++] = c;
  let left = rq.maxRanges > 0 ? rq.maxRanges : nc;
  for (let j = 0; j < nc && left > 0; j++) {
    const c = order[j]!;
    const b = candBound[c]!;
    if ((b | 15) + rq.slackUnits < scorer.thrUnits) break;
    if (b + rq.slackUnits < scorer.thrUnits) continue;
    scorer.scoreRange(candRange[c]!, b);
    left--;
  }
  return { collector: scorer.collector, postingsScored: scorer.postings, candidates: nc, checked: scorer.checked };
}

/** Scores every document without pruning (queries whose negative terms need it). */
export function scanAllReference(forward: ForwardIndex, rq: RangeQuery, k: number, filter: DocFilter | undefined, numDocs: number): RangeSearchOutcome {
  const scorer = new ReferenceScorer(forward, rq, k, filter, numDocs);
  for (let r = 0; r << RANGE_SHIFT < numDocs; r++) scorer.scoreRange(r, 65535);
  return { collector: scorer.collector, postingsScored: scorer.postings, candidates: 0, checked: 0 };
}

class ReferenceScorer {
  readonly collector: TopKCollector;
  postings = 0;
  checked = 0;
  private readonly slot: Map<number, number>;

  constructor(
    private readonly forward: ForwardIndex,
    private readonly rq: RangeQuery,
    k: number,
    private readonly filter: DocFilter | undefined,
    private readonly numDocs: number,
    private readonly layout?: RangeLayout,
  ) {
    this.collector = new TopKCollector(k);
    this.slot = new Map(rq.terms.map((t, i) => [t, rq.scoreWeights[i]!]));
  }

  /** The pruning threshold in bound units, as the kernel keeps it. */
  get thrUnits(): number {
    const t = this.collector.threshold * this.rq.thrScale;
    return t > 65535 ? 65535 : t;
  }

  /** Scores range r's documents; `bound` is its bound (65535: saturated or unknown, not refined). */
  scoreRange(r: number, bound: number): void {
    const { docStart, terms, weights } = this.forward;
    const { quantized, quantStep, maxImpact } = this.rq;
    const end = Math.min(this.numDocs, (r + 1) << RANGE_SHIFT);
    const refine = this.layout !== undefined && this.rq.refine.length > 0 && bound < 65535;
    for (let d = r << RANGE_SHIFT; d < end; d++) {
      if (refine && this.collector.threshold > -Infinity) {
        this.checked++;
        // The kernel stops at the first term that takes it below; each term only lowers it, so the full bound decides the same.
        if (documentBound(this.layout!, this.forward, this.rq, d, bound) + this.rq.slackUnits < this.thrUnits) continue;
      }
      let s = 0;
      let matched = false;
      const e = docStart[d + 1]!;
      this.postings += e - docStart[d]!;
      for (let i = docStart[d]!; i < e; i++) {
        const qw = this.slot.get(terms[i]!);
        if (qw === undefined) continue;
        matched = true;
        let w = weights[i]!;
        if (quantized) w = quantizeWeight(w, quantStep, maxImpact);
        s += qw * w;
      }
      if (matched && (this.filter === undefined || this.filter(d))) this.collector.offer(d, s);
    }
  }

}

/**
 * A document's refined bound, as the kernel's docBelow computes it (range-query.ts, "Document
 * bounds"): its range's unsaturated bound less, per refining term, W_t * (range level - the
 * document's level).
 */
export function documentBound(layout: RangeLayout, forward: ForwardIndex, rq: RangeQuery, doc: number, rangeBound: number): number {
  const { rows, nibbleRows } = layout.a;
  const r = doc >>> RANGE_SHIFT, f = rq.refine;
  let b = rangeBound;
  for (let j = 0; j < f.length; j += REFINE_FIELDS) {
    const off = f[j]!, dense = f[j + 1] === 0;
    const v = dense ? rows[off + r]! : nibbleRows[off + ((r >>> 5) << 4) + (r & 15)]!;
    const level = dense ? v : r & 16 ? v >>> 4 : v & 15;
    if (level === 0) continue;
    const w = forward.weightOf(doc, f[j + 2]!);
    const x = dense ? Math.ceil(w * f[j + 4]!) : Math.ceil(w / f[j + 4]!);
    const own = w > 0 ? (x < 1 ? 1 : x >= level ? level : x) : 0;
    b -= f[j + 3]! * (level - own);
  }
  return b;
}
