import { levelOf, RANGE_SHIFT } from "../index/range-layout.js";
import type { SegmentIndex } from "../index/segment-index.js";
import { SparseVector } from "../sparse-vector.js";
import { makeRangeQuery, type RangeQuery } from "./range-query.js";
import { rangeSearch } from "./range-search.js";
import type { DocHit } from "./top-k.js";

/**
 * Calibration of approximate search (bound scaling, range-query.ts) from a segment's own data.
 *
 * Pseudo-queries: SAMPLE_QUERIES documents spread evenly over the segment, each cut to its
 * QUERY_TERMS heaviest terms. The truth of a pseudo-query is its exact top-k without its own
 * document (which tops it with a margin no real query has), and the approximate search runs with
 * k + 1 so that document does not take a slot either. 20 terms rather than a SPLADE query's ~45:
 * a document's 40 heaviest terms find its neighbours too easily (on 200K synthetic documents they
 * promised 0.997 recall at alpha 0.95 where real MS MARCO queries got 0.973), its 20 heaviest
 * tracked the real queries within ~0.02 on both corpora of BENCHMARKS.md.
 *
 * A floor without running every alpha: the exact search gives the true top-k T and its k-th
 * score S. With bound scaling a range r is scored whenever alpha * bound_r + slack >=
 * thrScale * (running k-th score), and the running k-th score never exceeds S; so a document d of
 * T is surely found once alpha >= need_d = (thrScale * S - slack) / bound_{range of d}. The fraction
 * of T with need_d <= alpha is a floor of that query's recall@k at alpha (recallNeeds).
 *
 * Choice for a requested recall R: the measured recall (per sample query, the share of its truth
 * the search at alpha returns; over the samples, the one-sided 95% lower confidence bound of the
 * mean) must be >= R. The floor's choice (the smallest alpha on the 0.01 grid whose floor already
 * reaches R) is where a binary search over the grid starts from above; each probe runs the
 * sample queries at that alpha. expectedRecall is the measured mean at the chosen alpha. A
 * segment under MIN_CALIBRATION_DOCS documents is searched exactly (alpha 1, expectedRecall 1):
 * too few samples to promise anything, and an exact search is cheap there.
 *
 * Cost, on the first approximate query with that k on a segment: SAMPLE_QUERIES exact searches
 * (truth and floor), then per requested recall about 5 x SAMPLE_QUERIES approximate searches
 * (BENCHMARKS.md gives the times); afterwards a cache of SAMPLE_QUERIES * k doc ids and needs
 * plus the pseudo-queries (~60 KiB at k = 10), held while the segment lives. A merge makes a new
 * segment, which calibrates afresh. Deleted documents take part in the samples and the truth (so
 * deletes alone do not invalidate it); the promise is about the segment's score distribution.
 */
export const SAMPLE_QUERIES = 200;
export const QUERY_TERMS = 20;
export const MIN_CALIBRATION_DOCS = 1000;
const Z_95 = 1.645;
const MIN_ALPHA = 0.05;
/** The binary search looks at most this far below the floor's choice. */
const SEARCH_SPAN = 0.32;

export interface AlphaChoice {
  alpha: number;
  /** The recall@k the calibration measured at alpha (1 for an exact search). */
  expectedRecall: number;
}

interface Sample {
  query: SparseVector;
  leaveOut: number;
  truth: Set<number>;
}

export class SegmentCalibration {
  private readonly choices = new Map<number, AlphaChoice>();
  private readonly measured = new Map<number, { mean: number; lower: number }>();

  /**
   * @param needs per sample query, the need of each document of its true top-k (ascending;
   *   Infinity when no alpha guarantees it).
   */
  constructor(readonly k: number, readonly needs: Float64Array[], private readonly index?: SegmentIndex, private readonly sampleQueries: Sample[] = []) {}

  get samples(): number {
    return this.needs.length;
  }

  /** What the calibration holds, roughly: per sample its needs and truth (k each, 8 bytes) and its query terms (8 bytes each). */
  byteLength(): number {
    let n = 0;
    for (const need of this.needs) n += need.length * 16;
    for (const q of this.sampleQueries) n += q.query.nnz * 8;
    return n;
  }

  /** The floor of the per-query recalls at alpha: mean and its 95% lower confidence bound. */
  recallAt(alpha: number): { mean: number; lower: number } {
    return meanAndLower(this.needs.map((need) => (need.length === 0 ? 1 : countAtMost(need, alpha) / need.length)));
  }

  /** The recall the search at alpha reaches on the sample queries (cached per alpha). */
  measuredRecallAt(alpha: number): { mean: number; lower: number } {
    if (alpha >= 1 || this.index === undefined) return { mean: 1, lower: 1 };
    let m = this.measured.get(alpha);
    if (m === undefined) {
      const recalls = this.sampleQueries.map((s) => {
        const hits = rangeSearch(this.index!, s.query, { k: this.k + 1, exact: true, filter: undefined, alpha }).hits;
        let found = 0, seen = 0;
        for (const h of hits) {
          if (h.doc === s.leaveOut || seen === this.k) continue;
          seen++;
          if (s.truth.has(h.doc)) found++;
        }
        return found / s.truth.size;
      });
      this.measured.set(alpha, (m = meanAndLower(recalls)));
    }
    return m;
  }

  choose(recall: number): AlphaChoice {
    let choice = this.choices.get(recall);
    if (choice === undefined) this.choices.set(recall, (choice = this.search(recall)));
    return choice;
  }

  private search(recall: number): AlphaChoice {
    const ok = (alpha: number) => alpha >= 1 || this.measuredRecallAt(alpha).lower >= recall;
    // Grid points in hundredths. The floor's choice reaches R on the floor, so almost surely measured.
    let hi = 100;
    while (hi - 1 >= MIN_ALPHA * 100 && this.recallAt((hi - 1) / 100).lower >= recall) hi--;
    while (hi < 100 && !ok(hi / 100)) hi++;
    let lo = Math.max(MIN_ALPHA * 100, hi - SEARCH_SPAN * 100);
    if (ok(lo / 100)) hi = lo;
    // Invariant: ok(hi), !ok(lo) (recall grows with alpha).
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (ok(mid / 100)) hi = mid;
      else lo = mid;
    }
    const alpha = hi / 100;
    return { alpha, expectedRecall: alpha >= 1 ? 1 : this.measuredRecallAt(alpha).mean };
  }
}

function meanAndLower(xs: number[]): { mean: number; lower: number } {
  const n = xs.length;
  if (n === 0) return { mean: 1, lower: 1 };
  let sum = 0, sq = 0;
  for (const x of xs) {
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sq - n * mean * mean) / (n - 1)) : 0;
  return { mean, lower: mean - Z_95 * Math.sqrt(variance / n) };
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
  const queries: Sample[] = [];
  for (let i = 0; i < samples; i++) {
    const doc = Math.floor(((i + 0.5) * n) / samples);
    const query = pseudoQuery(index, doc);
    if (query === undefined) continue;
    const truth = truthOf(index, query, k, doc);
    if (truth.length === 0) continue;
    needs.push(needsOf(index, query, k, truth));
    queries.push({ query, leaveOut: doc, truth: new Set(truth.map((h) => h.doc)) });
  }
  return new SegmentCalibration(k, needs, index, queries);
}

function truthOf(index: SegmentIndex, query: SparseVector, k: number, leaveOut: number): DocHit[] {
  return rangeSearch(index, query, { k: k + 1, exact: true, filter: undefined }).hits.filter((h) => h.doc !== leaveOut).slice(0, k);
}

function needsOf(index: SegmentIndex, query: SparseVector, k: number, truth: DocHit[]): Float64Array {
  const rq = makeRangeQuery(index, query, { k, exact: true, excluded: 0 });
  const kth = truth.length < k ? -Infinity : truth[truth.length - 1]!.score;
  const need = new Float64Array(truth.length);
  for (let j = 0; j < truth.length; j++) need[j] = needOf(index, rq, truth[j]!.doc, kth);
  return need.sort();
}

/**
 * For one query: the need of each document of its exact top-k (ascending), so that the recall@k
 * of a search with bound scaling alpha is at least (number of needs <= alpha) / k. `leaveOut`
 * (a pseudo-query's own document) is left out of the top-k; undefined when nothing matches.
 */
export function recallNeeds(index: SegmentIndex, query: SparseVector, k: number, leaveOut = -1): Float64Array | undefined {
  const truth = truthOf(index, query, k, leaveOut);
  return truth.length === 0 ? undefined : needsOf(index, query, k, truth);
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

/**
 * A range's bound for the query as the kernel computes it: the levels of u8 and 4-bit rows read
 * from the layout, those of rare terms from the range's documents (the level rule of
 * range-layout.ts), times the query's integer bound weights, saturating at 65535.
 */
export function rangeBound(index: SegmentIndex, rq: RangeQuery, range: number): number {
  const layout = index.ranges;
  const { rows, nibbleRows, termRow } = layout.a;
  let bound = 0;
  for (let j = 0; j < rq.dense.length; j += 2) bound += rq.dense[j + 1]! * rows[rq.dense[j]! + range]!;
  for (let j = 0; j < rq.nibble.length; j += 2) {
    const b = nibbleRows[rq.nibble[j]! + ((range >>> 5) << 4) + (range & 15)]!;
    bound += rq.nibble[j + 1]! * (range & 16 ? b >>> 4 : b & 15);
  }
  // Rare terms' bound weights, in the order they entered rq.rare (query order, positive weights).
  const rareWeight = new Map<number, number>();
  let ri = 2;
  for (let i = 0; i < rq.terms.length; i++) {
    const t = rq.terms[i]!;
    if (rq.scoreWeights[i]! > 0 && termRow[t] === -1) {
      rareWeight.set(t, rq.rare[ri]!);
      ri += 3;
    }
  }
  const level = new Map<number, number>();
  const invStep = 1 / layout.step;
  const { docStart, terms, weights } = index.forward;
  const first = range << RANGE_SHIFT, end = Math.min(index.numDocs, first + (1 << RANGE_SHIFT));
  for (let d = first; d < end; d++) {
    for (let i = docStart[d]!; i < docStart[d + 1]!; i++) {
      const t = terms[i]!;
      if (!rareWeight.has(t)) continue;
      const l = levelOf(weights[i]!, invStep);
      if (l > (level.get(t) ?? 0)) level.set(t, l);
    }
  }
  for (const [t, l] of level) bound += rareWeight.get(t)! * l;
  return Math.min(65535, bound);
}
