import { KTH_RANKS, type RangeLayout } from "../index/range-layout.js";
import type { SegmentIndex } from "../index/segment-index.js";
import type { SparseVector } from "../sparse-vector.js";
import { REFINE_TERMS } from "./kernel-abi.js";
import { makePlan } from "./query-plan.js";

/** Largest integer bound weight: the best term gets ~128, so sums leave u16 headroom. */
const TOP_BOUND_WEIGHT = 128;
/** Relative slack on every float comparison against an integer bound. */
const SLACK = 1e-9;

/**
 * A query as the range search runs it, the same for the WebAssembly kernel and its TypeScript
 * reference (range-search-reference.ts).
 *
 * Scores. Exact mode scores in float64 from the forward index: sum over the document's terms, in
 * increasing term order, of q_t * w_dt (q_t the float32 query weight), which is bit for bit
 * ForwardIndex.dot, the definition of the true score. Fast mode scores as every other
 * algorithm's quantized mode: sum of integer plan weights times re-quantized impacts.
 *
 * Bounds. A range's bound is sum over positive query terms of W_t * level_rt in saturating u16,
 * where level_rt * step >= w_dt for every d of range r (range-layout.ts) and
 * W_t = ceil(s * q_t * step) for a scale s that gives the heaviest term W = 128. So
 * bound >= s * (positive part of the score) >= s * score for every document of the range; in
 * fast mode a quantized impact can exceed w / step by 1/2, which `slack` covers. A range is
 * visited when bound + slack >= thrScale * kth score (capped at 65535, so a saturated bound is
 * always visited); thrScale is s slightly lowered so float rounding never prunes a tie.
 *
 * Bound scaling (approximate mode). With alpha in (0, 1], a range is visited when
 * alpha * bound + slack >= thrScale * kth score instead: folded into the query as thrScale / alpha
 * and slack / alpha (the collect threshold follows), so the kernel is the exact one and alpha = 1
 * divides by 1, bit for bit the exact query. A true top-k document is then still found whenever
 * alpha * (its range's bound) + slack reaches thrScale * (the true k-th score), because the running
 * k-th score never exceeds the true one (approximate-calibration.ts measures recall from that).
 *
 * Bound-term pruning (approximate mode, `boundMass` < 1). A query's bounds cost a u8 row, a
 * 4-bit row or a rare term's entries per term, and most of a SPLADE query's ~45 terms weigh
 * little. Only the heaviest terms, by q_t times the term's 10th largest weight (what the term
 * can add to a top-10 score), up to `boundMass` of the query's total, enter the bounds; every
 * term still enters the scoring, so scores stay exact and only which ranges get visited changes
 * (a range is underestimated by what its documents owe to the dropped terms; alpha above 1 can
 * compensate, and the calibration measures the result). Terms seen in under 10 documents have no
 * 10th weight and are always kept: they cost a few entries and a rare heavy term is the one that
 * finds its documents.
 *
 * Range cap (approximate mode, `maxRanges` > 0): the kernel stops after scoring that many ranges
 * in its best-first order.
 *
 * Document bounds (every mode). A range's bound sums, per term, the largest level among its 4
 * documents, so a visited range's documents mostly fall far below it: on 200K synthetic documents
 * and real queries, of the documents in ranges whose bound reaches the final k-th score, 61% are
 * below it once their own levels of the 4 terms below replace the range's (BENCHMARKS.md). So
 * once the heap is full the kernel checks each document of a visited range before scoring it: for
 * each of the query's `refine` terms (the REFINE_TERMS heaviest bound terms that have a u8 or 4-bit
 * row, by q_t times the term's 10th largest weight), it finds the document's weight of the term
 * (8 term ids per SIMD compare) and subtracts W_t * (range level - document level) from the range's
 * bound, skipping the document as soon as that falls below the threshold. The document's level is
 * the layout's rule for its weight (ceil(w / step), capped by the range's level; 0 when absent), so
 * the result still bounds s times its positive part: rank-safe exactly as the range bound, and the
 * same test with alpha folded in. A saturated range bound (65535) is not refined.
 *
 * Starting threshold. With no negative query weight and no filter beyond deletions, at least
 * K = (k + deleted) documents score >= max_t q_t * (K-th largest weight of t), a lower bound of
 * the final k-th score: only ranges whose bound reaches it are collected at all.
 *
 * Score threshold. A search that wants only scores >= T > 0 starts from T as well (the larger
 * of the two), with any filter and any query: a document scoring >= T has a positive part >= T,
 * so its range's bound reaches thrScale * T, and a range below it holds nothing wanted. The
 * kernel still returns the top-k of what it scored, some of it possibly below T; the caller
 * drops those (engine/collection/snapshot-search.ts). T <= 0 prunes nothing (bounds see positive
 * terms only).
 */
export interface RangeQuery {
  /** Query terms present in the segment (nonzero weight), in query order. */
  terms: number[];
  /** Scoring weight per term: float q_t (exact) or the integer plan weight (fast). */
  scoreWeights: number[];
  /** Terms with a positive weight and a u8 row: byte offset of the row, bound weight (<= 255). */
  dense: number[];
  /** Terms with a positive weight and a 4-bit row: byte offset of the row, bound weight (<= 4369). */
  nibble: number[];
  /** Rare terms with a positive weight: first entry, end entry (indexes into rare[]), bound weight. */
  rare: number[];
  collectUnits: number;
  thrScale: number;
  slackUnits: number;
  hasNonPositive: boolean;
  quantized: boolean;
  /** Fast mode: the segment quantizer's step and largest impact, to re-quantize weights. */
  quantStep: number;
  maxImpact: number;
  /** Fast mode: multiplies an integer score into float units. */
  scoreUnit: number;
  /** Approximate mode: at most this many ranges are scored (0: no cap). */
  maxRanges: number;
  /**
   * Per refining term, REFINE_FIELDS numbers: its row's byte offset (in rows, or in nibbleRows),
   * kind (0: u8 row, level ceil(w * unit); 1: 4-bit row, level ceil(w / unit)), the term, its bound
   * weight, and unit (1 / step, or the row's nibbleStep).
   */
  refine: number[];
}

export interface RangeQueryOptions {
  k: number;
  exact: boolean;
  /** How many documents the filter may reject, when it rejects only deleted ones; undefined otherwise. */
  excluded: number | undefined;
  /** Bound scaling in (0, 2]; 1 (the default) is rank-safe while boundMass is 1. */
  alpha?: number;
  /** The search's scoreThreshold, in float score units: only documents scoring >= it are wanted. */
  minScore?: number;
  /** Share in (0, 1] of the query's mass whose terms enter the bounds (1, the default: all). */
  boundMass?: number;
  /** Score at most this many ranges (0 or undefined: no cap). */
  maxRanges?: number;
  /** Terms the documents' bounds are refined with, 0..REFINE_TERMS (REFINE_TERMS by default; 0 turns it off). */
  refineTerms?: number;
}

export function makeRangeQuery(index: SegmentIndex, query: SparseVector, o: RangeQueryOptions): RangeQuery {
  const layout = index.ranges;
  const q = index.quantizer;
  const terms: number[] = [];
  const floats: number[] = [];
  let scoreWeights: number[];
  let boundWeights: number[];
  let scoreUnit = 1;
  if (o.exact) {
    for (let i = 0; i < query.nnz; i++) {
      const t = query.terms[i]!;
      if (t >= index.numTerms || layout.a.termDocFreq[t] === 0 || query.weights[i] === 0) continue;
      terms.push(t);
      floats.push(query.weights[i]!);
    }
    scoreWeights = floats;
    boundWeights = floats;
  } else {
    const plan = makePlan(index, query);
    terms.push(...plan.terms);
    scoreWeights = plan.weights;
    scoreUnit = plan.scoreUnit;
    // The plan's integer weight in float units per unit of weight: w_int * scoreUnit / step.
    boundWeights = plan.weights.map((w) => (w * plan.scoreUnit) / q.step);
  }

  let top = 0, hasNonPositive = false;
  for (const w of boundWeights) {
    if (w > top) top = w;
    if (!(w > 0)) hasNonPositive = true; // fast mode rounds a tiny weight to 0
  }
  const s = top > 0 ? TOP_BOUND_WEIGHT / (top * layout.step) : 1;
  const dense: number[] = [];
  const nibble: number[] = [];
  const rare: number[] = [];
  let slack = 0;
  // Candidates for refining (rowed bound terms): [what the term can add to a top-10 score, entry].
  const refinable: [number, number[]][] = [];
  const inBounds = o.boundMass === undefined || o.boundMass >= 1 ? undefined : boundTerms(layout, terms, boundWeights, o.boundMass);
  for (let i = 0; i < terms.length; i++) {
    const w = boundWeights[i]!;
    if (w <= 0 || (inBounds !== undefined && !inBounds[i])) continue;
    const t = terms[i]!;
    const bw = Math.min(255, Math.max(1, Math.ceil(s * w * layout.step * (1 + SLACK))));
    const row = layout.a.termRow[t]!;
    const reach = w * layout.a.kthWeight[t * KTH_RANKS.length]!;
    if (row >= 0) {
      dense.push(row * layout.stride, bw);
      refinable.push([reach, [row * layout.stride, 0, t, bw, 1 / layout.step]]);
    } else if (row === -1) rare.push(layout.a.rareStart[t]!, layout.a.rareStart[t + 1]!, bw);
    else {
      // A 4-bit level counts nibbleStep, not step: its weight is scaled by that ratio (<= 17 * 128
      // + 1, so weight * 15 fits u16).
      const n = -2 - row;
      const nw = Math.min(4369, Math.max(1, Math.ceil(s * w * layout.a.nibbleStep[n]! * (1 + SLACK))));
      nibble.push(n * (layout.stride / 2), nw);
      refinable.push([reach, [n * (layout.stride / 2), 1, t, nw, layout.a.nibbleStep[n]!]]);
    }
    if (!o.exact) slack += s * w * (q.step / 2);
  }
  const refineTerms = Math.max(0, Math.min(REFINE_TERMS, o.refineTerms ?? REFINE_TERMS));
  // Heaviest first (stable: ties keep query order).
  const refine = refinable.sort((a, b) => b[0] - a[0]).slice(0, refineTerms).flatMap((c) => c[1]);
  const alpha = o.alpha ?? 1;
  const slackUnits = (slack === 0 ? 0 : slack * (1 + SLACK) + 1e-6) / alpha;
  const thrScale = ((o.exact ? s : s * scoreUnit) * (1 - SLACK)) / alpha;

  let collectUnits = 1;
  let theta = hasNonPositive || o.excluded === undefined ? -Infinity : startingThreshold(layout, index, terms, scoreWeights, o);
  // In scoring units: fast mode scores integers that scoreUnit turns into float units.
  if (o.minScore !== undefined && o.minScore > 0) theta = Math.max(theta, o.exact ? o.minScore : o.minScore / scoreUnit);
  if (theta > 0) collectUnits = Math.min(65535, Math.max(1, Math.floor(theta * thrScale - slackUnits)));
  return {
    terms,
    scoreWeights,
    dense,
    nibble,
    rare,
    collectUnits,
    thrScale,
    slackUnits,
    hasNonPositive,
    quantized: !o.exact,
    quantStep: q.step,
    maxImpact: q.maxImpact,
    scoreUnit,
    maxRanges: o.maxRanges ?? 0,
    refine,
  };
}

/**
 * Which positive terms enter the bounds: the heaviest by q_t * (10th largest weight of t) until
 * their sum reaches `mass` of the total, plus every term with no 10th weight (seen in < 10
 * documents). Ties keep query order.
 */
function boundTerms(layout: RangeLayout, terms: number[], weights: number[], mass: number): boolean[] {
  const keep = new Array<boolean>(terms.length).fill(false);
  const m: number[] = terms.map((t, i) => (weights[i]! > 0 ? weights[i]! * layout.a.kthWeight[t * KTH_RANKS.length]! : 0));
  let total = 0;
  for (let i = 0; i < terms.length; i++) {
    if (weights[i]! > 0 && m[i] === 0) keep[i] = true;
    total += m[i]!;
  }
  const order = terms.map((_, i) => i).filter((i) => m[i]! > 0).sort((a, b) => m[b]! - m[a]! || a - b);
  let sum = 0;
  for (const i of order) {
    if (sum >= mass * total) break;
    keep[i] = true;
    sum += m[i]!;
  }
  return keep;
}

/** A lower bound of the k-th best score (in scoring units), or -Infinity when none is known. */
function startingThreshold(layout: RangeLayout, index: SegmentIndex, terms: number[], weights: number[], o: RangeQueryOptions): number {
  const need = o.k + (o.excluded ?? 0);
  const rank = KTH_RANKS.findIndex((r) => r >= need);
  if (rank < 0) return -Infinity;
  let best = -Infinity;
  for (let i = 0; i < terms.length; i++) {
    const kth = layout.a.kthWeight[terms[i]! * KTH_RANKS.length + rank]!;
    if (kth <= 0) continue;
    // Fast mode: quantize() is monotone, so the K-th largest impact is >= quantize(kth).
    const v = o.exact ? weights[i]! * kth : weights[i]! * index.quantizer.quantize(kth);
    if (v > best) best = v;
  }
  return best;
}

