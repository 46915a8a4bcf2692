import { levelOf, RANGE_SHIFT } from "../index/range-layout.js";
import type { SegmentIndex } from "../index/segment-index.js";
import { SparseVector } from "../sparse-vector.js";
import { makeRangeQuery, type RangeQuery } from "./range-query.js";
import { rangeSearch } from "./range-search.js";

/**
 * Calibration of approximate search (bound scaling, range-query.ts) from a segment's own data.
 *
 * Pseudo-queries: SAMPLE_QUERIES documents spread evenly over the segment, each cut to its
 * QUERY_TERMS heaviest terms (what a SPLADE query looks like: a few dozen weighted terms).
 *
 * What alpha does to one query, without running it at every alpha: the exact search gives the
 * true top-k T and its k-th score S. With bound scaling a range r is scored whenever
 * alpha * bound_r + slack >= thrScale * (running k-th score), and the running k-th score never
 * exceeds S; so a document d of T is surely found once alpha >= need_d =
 * (thrScale * S - slack) / bound_{range of d} (at alpha = 1). The fraction of T with need_d <= alpha
 * is a lower bound of that query's recall@k at alpha (the search usually finds more: its running
 * threshold is below S for a while). One exact search per sample query yields the whole curve.
 *
 * Choice: the smallest alpha on a ladder (1, 0.99, ..., 0.05) whose one-sided 95% lower
 * confidence bound of the mean per-query recall over the samples is still >= the requested
 * recall (scanning down from 1 and stopping at the first miss); expectedRecall is the sample
 * mean at that alpha. A segment under MIN_CALIBRATION_DOCS documents is searched exactly
 * (alpha 1, expectedRecall 1): too few samples to promise anything, and exact is cheap there.
 *
 * Cost: SAMPLE_QUERIES exact searches per (segment, k) on the first approximate query with that
 * k (e.g. ~0.6 s on 1M documents), then a cache entry of SAMPLE_QUERIES * k float64 needs
 * (16 KiB at k = 10) held as long as the segment; a merge makes a new segment, which calibrates
 * afresh. Deleted documents are included in the samples and the truth (the calibration does not
 * change when only deletes do); the recall promise is about the documents' score distribution.
 */
export const SAMPLE_QUERIES = 200;
export const QUERY_TERMS = 40;
export const MIN_CALIBRATION_DOCS = 1000;
const Z_95 = 1.645;
const LADDER_STEP = 0.01;
const MIN_ALPHA = 0.05;

export interface AlphaChoice {
  alpha: number;
  /** The recall@k the calibration measured at alpha (1 for an exact search). */
  expectedRecall: number;
}

export class SegmentCalibration {
  /**
   * @param needs per sample query, the need of each document of its true top-k (sorted
   *   ascending; Infinity when no alpha guarantees it).
   */
  constructor(readonly k: number, readonly needs: Float64Array[]) {}

  get samples(): number {
    return this.needs.length;
  }

  /** Per-query recall lower bounds at alpha: mean and the 95% lower confidence bound of the mean. */
  recallAt(alpha: number): { mean: number; lower: number } {
    const n = this.needs.length;
    if (n === 0) return { mean: 1, lower: 1 };
    let sum = 0, sq = 0;
    for (const need of this.needs) {
      const r = need.length === 0 ? 1 : countAtMost(need, alpha) / need.length;
      sum += r;
      sq += r * r;
    }
    const mean = sum / n;
    const variance = n > 1 ? Math.max(0, (sq - n * mean * mean) / (n - 1)) : 0;
    return { mean, lower: mean - Z_95 * Math.sqrt(variance / n) };
  }

  choose(recall: number): AlphaChoice {
    let best: AlphaChoice = { alpha: 1, expectedRecall: 1 };
    for (let i = 1; ; i++) {
      const alpha = Math.round((1 - i * LADDER_STEP) * 100) / 100;
      if (alpha < MIN_ALPHA) break;
      const r = this.recallAt(alpha);
      if (r.lower < recall) break;
      best = { alpha, expectedRecall: r.mean };
    }
    return best;
  }
}

function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const cache = new WeakMap<SegmentIndex, Map<number, SegmentCalibration | null>>();

/** The segment's calibration for k (computed on first use, then cached), or null when too small. */
export function segmentCalibration(index: SegmentIndex, k: number): SegmentCalibration | null {
  let byK = cache.get(index);
  if (byK === undefined) cache.set(index, (byK = new Map()));
  let c = byK.get(k);
  if (c === undefined) byK.set(k, (c = calibrate(index, k)));
  return c;
}

/** The parameters for a requested recall on one segment. */
export function chooseAlpha(index: SegmentIndex, k: number, recall: number): AlphaChoice {
  return segmentCalibration(index, k)?.choose(recall) ?? { alpha: 1, expectedRecall: 1 };
}

export function calibrate(index: SegmentIndex, k: number, samples = SAMPLE_QUERIES): SegmentCalibration | null {
  const n = index.numDocs;
  if (n < MIN_CALIBRATION_DOCS) return null;
  const needs: Float64Array[] = [];
  for (let i = 0; i < samples; i++) {
    const query = pseudoQuery(index, Math.floor(((i + 0.5) * n) / samples));
    if (query === undefined) continue;
    const need = recallNeeds(index, query, k, Math.floor(((i + 0.5) * n) / samples));
    if (need === undefined) continue;
    needs.push(need);
  }
  return new SegmentCalibration(k, needs);
}

/**
 * For one query: the need of each document of its exact top-k (ascending), so that the recall@k
 * of a search with bound scaling alpha is at least (number of needs <= alpha) / k. `leaveOut`
 * (a pseudo-query's own document) is left out of the top-k; undefined when nothing matches.
 */
export function recallNeeds(index: SegmentIndex, query: SparseVector, k: number, leaveOut = -1): Float64Array | undefined {
  const rq = makeRangeQuery(index, query, { k: k + 1, exact: true, excluded: 0 });
  // A pseudo-query's own document tops it with a margin no real query has: counting it would
  // inflate every recall by up to 1/k.
  const hits = rangeSearch(index, query, { k: k + 1, exact: true, filter: undefined }).hits.filter((h) => h.doc !== leaveOut).slice(0, k);
  if (hits.length === 0) return undefined;
  const kth = hits.length < k ? -Infinity : hits[hits.length - 1]!.score;
  const need = new Float64Array(hits.length);
  for (let j = 0; j < hits.length; j++) need[j] = needOf(index, rq, hits[j]!.doc, kth);
  return need.sort();
}

/** A document's QUERY_TERMS heaviest terms as a query, or undefined for an empty document. */
export function pseudoQuery(index: SegmentIndex, doc: number): SparseVector | undefined {
  const { docStart, terms, weights } = index.forward;
  const s = docStart[doc]!, e = docStart[doc + 1]!;
  if (e === s) return undefined;
  const order = Array.from({ length: e - s }, (_, i) => s + i).sort((a, b) => weights[b]! - weights[a]! || terms[a]! - terms[b]!);
  const top = order.slice(0, QUERY_TERMS);
  return SparseVector.fromArrays(top.map((i) => terms[i]!), top.map((i) => weights[i]!), { role: "query" });
}

/**
 * The smallest alpha at which doc's range surely gets scored when the true k-th score is kth:
 * (thrScale * kth - slack) / bound, with the bound computed as the kernel does (levels of the
 * range's documents, the query's integer bound weights, saturating at 65535). A relative margin
 * of 1e-9 covers the rounding of the search's own division by alpha.
 */
function needOf(index: SegmentIndex, rq: RangeQuery, doc: number, kth: number): number {
  if (kth === -Infinity) return 0; // fewer than k hits: the threshold never rises, every range is scored
  const target = kth * rq.thrScale - rq.slackUnits;
  if (target <= 0) return 0;
  const bound = rangeBound(index, rq, doc >>> RANGE_SHIFT);
  // The kernel caps its threshold at 65535, so a saturated bound is visited at every alpha.
  if (bound >= 65535) return 0;
  return bound === 0 ? Infinity : (target / bound) * (1 + 1e-9);
}

/** A range's bound for the query, from the forward index: equal to the layout's (range-layout.ts). */
export function rangeBound(index: SegmentIndex, rq: RangeQuery, range: number): number {
  const layout = index.ranges;
  const invStep = 1 / layout.step;
  // Bound weights in query order: positive terms went to dense or rare lists in that order.
  const weightOf = new Map<number, number>();
  let di = 1, ri = 2;
  for (let i = 0; i < rq.terms.length; i++) {
    const t = rq.terms[i]!;
    if (!(rq.scoreWeights[i]! > 0)) continue;
    if (layout.a.termRow[t]! >= 0) {
      weightOf.set(t, rq.dense[di]!);
      di += 2;
    } else {
      weightOf.set(t, rq.rare[ri]!);
      ri += 3;
    }
  }
  const level = new Map<number, number>();
  const { docStart, terms, weights } = index.forward;
  const first = range << RANGE_SHIFT, end = Math.min(index.numDocs, first + (1 << RANGE_SHIFT));
  for (let d = first; d < end; d++) {
    for (let i = docStart[d]!; i < docStart[d + 1]!; i++) {
      const t = terms[i]!;
      if (!weightOf.has(t)) continue;
      const l = levelOf(weights[i]!, invStep);
      if (l > (level.get(t) ?? 0)) level.set(t, l);
    }
  }
  let bound = 0;
  for (const [t, l] of level) bound += weightOf.get(t)! * l;
  return Math.min(65535, bound);
}
