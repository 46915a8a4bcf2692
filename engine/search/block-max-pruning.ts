import type { ForwardIndex } from "../index/forward-index.js";
import type { SearchContext } from "./algorithm.js";
import { quantizeWeight } from "../index/quantizer.js";
import type { TopKCollector } from "./top-k.js";
import { addListToRanges } from "./posting-cursor.js";
import { RANGE_SHIFT, RANGE_SIZE, rangeMaxTable } from "./range-max-table.js";

/** Upper bounds are bucketed into this many bins to visit ranges best-first without a sort. */
const BINS = 4096;

/**
 * Block-max pruning over doc-id ranges (BMP, Mallia, Suel & Tonellotto, SIGIR 2024), adapted.
 * 1. An upper bound per range of 8 documents: for each query term with a positive weight, its
 *    weight times its largest impact in the range (the range-max table of the common terms),
 *    or times the sum of its impacts there (rare terms, straight from their short lists; a sum
 *    is still an upper bound of the max).
 * 2. Ranges are bucketed by bound and visited best-first; each visited range's documents are
 *    scored in full from the forward index, re-quantizing each weight exactly as the index did,
 *    so scores equal every other algorithm's. Visiting stops when the next bucket's top bound
 *    is below the threshold.
 * Negative query terms only lower scores, so bounds leave them out; a range whose bound is 0
 * can still hold matching documents, and is scanned only while the threshold is not above 0.
 */
export function blockMaxPruning(ctx: SearchContext): number {
  const { index, forward, plan, collector } = ctx;
  const table = rangeMaxTable(index);
  const numRanges = table.numRanges;
  const maxima = table.maxima;
  const scratch = table.scratch;
  if (scratch.bounds.length !== numRanges) {
    scratch.bounds = new Int32Array(numRanges);
    scratch.order = new Uint32Array(numRanges);
  }
  const ub = scratch.bounds;
  ub.fill(0);

  // Per-term integer weights by term id, for full scoring from the forward index.
  const weightOf = new Float64Array(index.numTerms);
  const inQuery = new Uint8Array(index.numTerms);
  for (let i = 0; i < plan.terms.length; i++) {
    weightOf[plan.terms[i]!] = plan.weights[i]!;
    inQuery[plan.terms[i]!] = 1;
  }

  // 1. Range upper bounds, in int32: each positive weight is divided by 2^shift and rounded up,
  //    with the shift chosen so that no sum can overflow; a bound times 2^shift is then >= the
  //    true bound in plan units.
  const maxImpact = index.quantizer.maxImpact;
  let positiveSum = 0;
  for (const w of plan.weights) if (w > 0) positiveSum += w;
  let shift = 0;
  // A rare term's bound is a sum over up to RANGE_SIZE postings, hence the factor.
  while ((positiveSum / 2 ** shift + plan.weights.length) * maxImpact * RANGE_SIZE >= 2 ** 31 - 1) shift++;
  const unit = 2 ** shift;
  const denseRows: number[] = [];
  const denseWeights: number[] = [];
  for (let i = 0; i < plan.terms.length; i++) {
    const t = plan.terms[i]!, w = plan.weights[i]!;
    if (w <= 0) continue;
    const wb = Math.ceil(w / unit);
    const row = table.row[t]!;
    if (row >= 0) {
      denseRows.push(row * numRanges);
      denseWeights.push(wb);
    } else {
      addListToRanges(index, t, wb, ub, RANGE_SHIFT);
    }
  }
  if (maxima instanceof Uint8Array) addRows8(ub, maxima, denseRows, denseWeights, numRanges);
  else addRows16(ub, maxima, denseRows, denseWeights, numRanges);

  // 2. Bucket ranges by bound (counting sort), best bucket first.
  let maxUb = 0;
  for (let r = 0; r < numRanges; r++) if (ub[r]! > maxUb) maxUb = ub[r]!;
  const binOf = maxUb > 0 ? (BINS - 1) / maxUb : 0;
  const binStart = new Uint32Array(BINS + 1);
  for (let r = 0; r < numRanges; r++) if (ub[r]! > 0) binStart[((ub[r]! * binOf) | 0) + 1]!++;
  for (let b = 0; b < BINS; b++) binStart[b + 1]! += binStart[b]!;
  const order = scratch.order;
  const fill = binStart.slice(0, BINS);
  for (let r = 0; r < numRanges; r++) if (ub[r]! > 0) order[fill[(ub[r]! * binOf) | 0]!++] = r;

  const scorer = new RangeScorer(forward, weightOf, inQuery, index.quantizer.step, maxImpact, index.numDocs, collector);
  for (let b = BINS - 1; b >= 0; b--) {
    // Every bound in bin b is below (b + 1) / binOf; one more bin of slack covers rounding.
    if (((b + 2) / binOf) * unit < collector.threshold) break;
    for (let j = binStart[b]!; j < binStart[b + 1]!; j++) {
      const r = order[j]!;
      if (ub[r]! * unit >= collector.threshold) scorer.score(r);
    }
  }
  // Ranges bounded by 0 matter only while a score <= 0 can still enter the top-k.
  if (collector.threshold <= 0) {
    for (let r = 0; r < numRanges; r++) if (ub[r] === 0) scorer.score(r);
  }
  return scorer.scored;
}

/** Chunk of ranges whose int32 bounds stay in the L1 cache while every row is added to them. */
const CHUNK = 4096;

/**
 * ub[r] += w_j * rows_j[r] for every dense row, four rows at a time, chunk by chunk. Two
 * copies, one per element type, keep each monomorphic for the JIT.
 */
function addRows8(ub: Int32Array, maxima: Uint8Array, rows: number[], weights: number[], numRanges: number): void {
  for (let c0 = 0; c0 < numRanges; c0 += CHUNK) {
    const c1 = Math.min(numRanges, c0 + CHUNK);
    let j = 0;
    for (; j + 4 <= rows.length; j += 4) {
      const b0 = rows[j]!, b1 = rows[j + 1]!, b2 = rows[j + 2]!, b3 = rows[j + 3]!;
      const w0 = weights[j]!, w1 = weights[j + 1]!, w2 = weights[j + 2]!, w3 = weights[j + 3]!;
      for (let r = c0; r < c1; r++) {
        ub[r] += w0 * maxima[b0 + r]! + w1 * maxima[b1 + r]! + w2 * maxima[b2 + r]! + w3 * maxima[b3 + r]!;
      }
    }
    for (; j < rows.length; j++) {
      const b0 = rows[j]!, w0 = weights[j]!;
      for (let r = c0; r < c1; r++) ub[r] += w0 * maxima[b0 + r]!;
    }
  }
}

function addRows16(ub: Int32Array, maxima: Uint16Array, rows: number[], weights: number[], numRanges: number): void {
  for (let j = 0; j < rows.length; j++) {
    const b0 = rows[j]!, w0 = weights[j]!;
    for (let r = 0; r < numRanges; r++) ub[r] += w0 * maxima[b0 + r]!;
  }
}

/**
 * Scores every document of a range from the forward index, re-quantizing each weight exactly as
 * the index builder did, and offers those that share a term with the query.
 */
class RangeScorer {
  scored = 0;
  constructor(
    private readonly forward: ForwardIndex,
    private readonly weightOf: Float64Array,
    private readonly inQuery: Uint8Array,
    private readonly step: number,
    private readonly maxImpact: number,
    private readonly numDocs: number,
    private readonly collector: TopKCollector,
  ) {}

  score(range: number): void {
    const { docStart, terms, weights } = this.forward;
    const { weightOf, inQuery, step, maxImpact, collector } = this;
    const end = Math.min(this.numDocs, (range + 1) * RANGE_SIZE);
    let scored = 0;
    for (let d = range * RANGE_SIZE; d < end; d++) {
      let s = 0;
      let matched = false;
      for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
        const t = terms[i]!;
        if (inQuery[t] === 0) continue;
        matched = true;
        s += weightOf[t]! * quantizeWeight(weights[i]!, step, maxImpact);
        scored++;
      }
      if (matched) collector.offer(d, s);
    }
    this.scored += scored;
  }
}
