import { levelOf, RANGE_SHIFT } from "../index/range-layout.js";
import type { SegmentIndex } from "../index/segment-index.js";
import type { SparseVector } from "../sparse-vector.js";
import { sampleQuery, type SampleFamily } from "./calibration-samples.js";
import { makeRangeQuery, type RangeQuery } from "./range-query.js";
import { rangeSearch } from "./range-search.js";
import { documentBound } from "./range-search-reference.js";
import type { RecentQueries } from "./recent-queries.js";
import type { DocHit } from "./top-k.js";

/**
 * Calibration of approximate search from a segment's own data: which knobs of the range search
 * (range-query.ts) a requested recall@k gets. Two knobs, each where it wins:
 * - bound-term pruning, `boundMass` m < 1: only the query's heaviest terms, holding m of its mass,
 *   enter the bounds (every term is still scored). The bound phase is most of an exact query on a
 *   large segment (~60% on 1M documents, BENCHMARKS.md), and it shrinks with the terms kept;
 * - bound scaling, alpha: a range is scored when alpha x its bound reaches the threshold. Below 1
 *   it saves scoring; above 1 it gives back recall that pruning took.
 * (A cap on the ranges scored, `maxRanges`, is a third knob of the kernel; measured on 1M
 * synthetic documents it cost more recall than work saved next to these two, so the calibration
 * does not choose it.)
 *
 * Sample queries. Either the collection's own recent approximate queries (RecentQueries, once
 * SAMPLE_QUERIES of them have been seen), or, before that, pseudo-queries: SAMPLE_QUERIES documents
 * spread evenly over the segment, each cut to its QUERY_TERMS heaviest terms, whose truth leaves
 * their own document out (it tops them with a margin no real query has; the searches run with
 * k + 1 so it does not take a slot either). Pseudo-queries are pessimistic about pruning: a
 * document's heaviest terms are flat where a SPLADE query's weight sits in a few terms, so
 * dropping 20% of the mass drops terms its neighbours share (measured: 0.76 against real queries'
 * 0.96 at m = 0.8 on 1M documents), and a calibration from them keeps m near 1. Real queries
 * measure what the collection's users will get, so the choice tightens once enough have been
 * seen (at most once per segment: a segment's calibration from queries is kept until a merge
 * replaces the segment, which calibrates afresh).
 *
 * Choice for a requested recall R: among the settings tried (bound scaling alone, alpha on a 0.01
 * grid up to 1; then each m of BOUND_MASSES, 0.9 down to 0.5, with the smallest alpha of
 * PRUNED_ALPHAS, 0.9 to 1.5, that passes),
 * those whose measured recall on the samples (per sample, the share of its true top-k the search
 * returns; over the samples, the one-sided 95% lower confidence bound of the mean) reaches
 * R + SAFETY_MARGIN, the one with the least estimated work per sample query (the kernel's
 * measured cost per u8-row byte, 4-bit-row byte, rare entry and posting scored, WORK_NS; a
 * deterministic count, so the same data gives the same choice on a busy machine).
 * expectedRecall is the measured mean there. If none passes, the search is exact.
 *
 * The alpha-only search starts from a floor: the exact search gives the true top-k T and its k-th
 * score S. With bound scaling a range r is scored whenever alpha * bound_r + slack >=
 * thrScale * (running k-th score), and the running k-th score never exceeds S; so a document d of
 * T is surely found once alpha >= need_d = (thrScale * S - slack) / bound_d, bound_d its own bound
 * (its range's, refined by its own levels of the query's refining terms, range-query.ts). The fraction
 * of T with need_d <= alpha is a floor of that query's recall@k at alpha (recallNeeds); a binary
 * search over the grid starts from the floor's choice.
 *
 * A segment under MIN_CALIBRATION_DOCS documents is searched exactly (expectedRecall 1): too few
 * samples to promise anything, and an exact search is cheap there.
 *
 * Cost, on the first approximate query with that k on a segment: SAMPLE_QUERIES exact searches
 * (truth and floor), then per requested recall about 5 + 18 probes of SAMPLE_QUERIES
 * approximate searches each (fewer where a level fails; BENCHMARKS.md gives the times); the same
 * again once, when the calibration switches to real queries. It holds the samples, their truth and needs (~100 KiB at
 * k = 10), while the segment lives. Deleted documents take part in the samples and the truth (so
 * deletes alone do not invalidate it); the promise is about the segment's score distribution,
 * and a filter's (the stated recall is over the filtered set) is assumed to follow it.
 */
export const SAMPLE_QUERIES = 200;
export { QUERY_TERMS } from "./calibration-samples.js";
export const MIN_CALIBRATION_DOCS = 1000;
/** The pseudo-query family a calibration from documents draws (calibration-samples.ts). */
export const DEFAULT_FAMILY: SampleFamily = "shaped";
/** The lower confidence bound must clear the requested recall by this much. */
export const SAFETY_MARGIN = 0.005;
/**
 * From pseudo-queries (calibration-samples.ts, "shaped") the margin is wider, and pruning stops at
 * MIN_DOCUMENT_MASS: measured against real queries (BENCHMARKS.md, `bench calibration`), their
 * lower bound over-predicts real recall by up to 0.017 at m = 0.7, by 0.04-0.07 at m = 0.6. Near 1
 * the margin is at most half the distance to 1 (0.99 asks 0.995), where over-prediction is small.
 */
export const DOCUMENT_MARGIN = 0.01;
export const MIN_DOCUMENT_MASS = 0.7;
/** Bound-term pruning levels tried, from the least pruning to the most. */
export const BOUND_MASSES = [0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.5] as const;
/** Bound scaling tried with pruning, smallest first. */
export const PRUNED_ALPHAS = [0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.5] as const;
/**
 * Nanoseconds per unit of kernel work: least squares of the best-of-3 time of 300 real queries
 * on 1M synthetic documents, at six settings (exact, pruned, scaled), against the u8-row bytes,
 * 4-bit-row bytes, rare entries and postings scored (the rare entries' cost from the bound phase
 * alone, where it is not confounded). They rank settings, so only their ratios matter.
 * `check`, a visited document's own bound (range-query.ts, "Document bounds"), from the scoring
 * phase on 200K synthetic documents (min of 5 per query, 200 real queries): 0.345 -> 0.235 ms
 * while 946 documents were checked and postings fell from 113.5K to 30.1K, so ~150 ns a check at
 * ~3 ns a posting, ~50 postings; 200 in these units. Not refitted after the kernel's four-row
 * 4-bit pass (BENCHMARKS.md, fourth session), which cut exact's bound phase by ~25%.
 */
export const WORK_NS = { denseByte: 0.09, nibbleByte: 0.15, rareEntry: 1.3, posting: 4, check: 200 } as const;
const Z_95 = 1.645;
const MIN_ALPHA = 0.05;
/** The binary search looks at most this far below the floor's choice. */
const SEARCH_SPAN = 0.32;

/** The knobs of an approximate range search (range-query.ts). */
export interface ApproximateParams {
  alpha: number;
  boundMass: number;
  /** Terms a visited document's own bound is refined with (range-query.ts); REFINE_TERMS when absent. */
  refineTerms?: number;
}

export interface ApproximateChoice extends ApproximateParams {
  /** The recall@k the calibration measured at these parameters (1 for an exact search). */
  expectedRecall: number;
}

/** Where a calibration's sample queries came from. */
export type CalibrationSource = "documents" | "queries";

export const EXACT_CHOICE: ApproximateChoice = Object.freeze({ alpha: 1, boundMass: 1, expectedRecall: 1 });

interface Sample {
  query: SparseVector;
  /** A pseudo-query's own document, left out of its truth and results; -1 for a real query. */
  leaveOut: number;
  truth: Set<number>;
}

interface Measured {
  mean: number;
  lower: number;
  /** Estimated kernel nanoseconds per sample query (WORK_NS). */
  work: number;
}

export class SegmentCalibration {
  private readonly choices = new Map<number, ApproximateChoice>();
  private readonly measured = new Map<string, Measured>();

  /**
   * @param needs per sample query, the need of each document of its true top-k (ascending;
   *   Infinity when no alpha guarantees it).
   */
  constructor(
    readonly k: number,
    readonly needs: Float64Array[],
    private readonly index?: SegmentIndex,
    private readonly sampleQueries: Sample[] = [],
    readonly source: CalibrationSource = "documents",
  ) {}

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

  /** The floor of the per-query recalls at alpha (no pruning): mean and its 95% lower confidence bound. */
  recallAt(alpha: number): { mean: number; lower: number } {
    return meanAndLower(this.needs.map((need) => (need.length === 0 ? 1 : countAtMost(need, alpha) / need.length)));
  }

  /** The recall the search with bound scaling alpha alone reaches on the sample queries. */
  measuredRecallAt(alpha: number): Measured {
    return this.measure({ alpha, boundMass: 1 });
  }

  /** Recall (mean, lower bound) and estimated work of the search with `p` on the sample queries (cached). */
  measure(p: ApproximateParams): Measured {
    const key = `${p.alpha}/${p.boundMass}/${p.refineTerms ?? "-"}`;
    let m = this.measured.get(key);
    if (m !== undefined) return m;
    if (this.index === undefined) return { mean: 1, lower: 1, work: 0 };
    const index = this.index;
    let work = 0;
    const recalls = this.sampleQueries.map((s) => {
      // A pseudo-query's own document takes a slot of the heap, so it searches k + 1; a real query k.
      const o = { k: s.leaveOut >= 0 ? this.k + 1 : this.k, exact: true, alpha: p.alpha, boundMass: p.boundMass, refineTerms: p.refineTerms };
      const r = rangeSearch(index, s.query, { ...o, filter: undefined });
      work += estimatedWork(index, makeRangeQuery(index, s.query, { ...o, excluded: 0 }), r.postingsScored, r.checked);
      let found = 0, seen = 0;
      for (const h of r.hits) {
        if (h.doc === s.leaveOut || seen === this.k) continue;
        seen++;
        if (s.truth.has(h.doc)) found++;
      }
      return found / s.truth.size;
    });
    m = { ...meanAndLower(recalls), work: work / Math.max(1, this.sampleQueries.length) };
    this.measured.set(key, m);
    return m;
  }

  choose(recall: number): ApproximateChoice {
    let choice = this.choices.get(recall);
    if (choice === undefined) this.choices.set(recall, (choice = this.search(recall)));
    return choice;
  }

  /** The lower confidence bound a setting must reach for a requested recall. */
  target(recall: number): number {
    return this.source === "documents" ? Math.min(recall + DOCUMENT_MARGIN, (1 + recall) / 2) : Math.min(1, recall + SAFETY_MARGIN);
  }

  private search(recall: number): ApproximateChoice {
    const target = this.target(recall);
    let best: { p: ApproximateParams; m: Measured } | undefined;
    const alpha = this.scalingOnly(target);
    if (alpha < 1) best = { p: { alpha, boundMass: 1 }, m: this.measuredRecallAt(alpha) };
    // Recall grows with alpha and with the mass kept, so the smallest passing alpha only grows
    // from one level to the next: one scan over both grids (at most their lengths added, in probes).
    let a = 0;
    for (const boundMass of BOUND_MASSES) {
      if (this.source === "documents" && boundMass < MIN_DOCUMENT_MASS) break;
      while (a < PRUNED_ALPHAS.length && this.measure({ alpha: PRUNED_ALPHAS[a]!, boundMass }).lower < target) a++;
      // If no alpha rescues this level, none rescues the next.
      if (a === PRUNED_ALPHAS.length) break;
      const p = { alpha: PRUNED_ALPHAS[a]!, boundMass }, m = this.measure(p);
      if (best === undefined || m.work < best.m.work) best = { p, m };
    }
    if (best === undefined) return EXACT_CHOICE;
    // Against the exact search's own work: a setting that saves nothing is not worth its risk.
    if (best.m.work >= this.measure({ alpha: 1, boundMass: 1 }).work) return EXACT_CHOICE;
    return { ...best.p, expectedRecall: best.m.mean };
  }

  /** The smallest alpha on the 0.01 grid whose measured lower bound reaches target (1 when none below 1 does). */
  private scalingOnly(target: number): number {
    const ok = (alpha: number) => alpha >= 1 || this.measuredRecallAt(alpha).lower >= target;
    // Grid points in hundredths. The floor's choice reaches the target on the floor, so almost surely measured.
    let hi = 100;
    while (hi - 1 >= MIN_ALPHA * 100 && this.recallAt((hi - 1) / 100).lower >= target) hi--;
    while (hi < 100 && !ok(hi / 100)) hi++;
    let lo = Math.max(MIN_ALPHA * 100, hi - SEARCH_SPAN * 100);
    if (ok(lo / 100)) hi = lo;
    // Invariant: ok(hi), !ok(lo) (recall grows with alpha).
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (ok(mid / 100)) hi = mid;
      else lo = mid;
    }
    return hi / 100;
  }
}

/** WORK_NS applied to one search: the bound rows and rare entries its query reads, the documents it checked and the postings it scored. */
function estimatedWork(index: SegmentIndex, rq: RangeQuery, postingsScored: number, checked: number): number {
  const ranges = index.ranges.numRanges;
  let rare = 0;
  for (let j = 0; j < rq.rare.length; j += 3) rare += rq.rare[j + 1]! - rq.rare[j]!;
  return (
    WORK_NS.denseByte * ranges * (rq.dense.length / 2) +
    WORK_NS.nibbleByte * (ranges / 2) * (rq.nibble.length / 2) +
    WORK_NS.rareEntry * rare +
    WORK_NS.posting * postingsScored +
    WORK_NS.check * checked
  );
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

/**
 * The segment's calibration for k (computed on first use, then cached), or null when too small.
 * With `recent` holding SAMPLE_QUERIES queries, a calibration from pseudo-queries is replaced,
 * once, by one from those queries.
 */
export function segmentCalibration(index: SegmentIndex, k: number, recent?: RecentQueries): SegmentCalibration | null {
  let byK = cache.get(index);
  if (byK === undefined) cache.set(index, (byK = new Map()));
  let c = byK.get(k);
  const queries = recent !== undefined && recent.size >= SAMPLE_QUERIES ? recent.queries() : undefined;
  if (c === undefined || (c !== null && c.source === "documents" && queries !== undefined)) byK.set(k, (c = calibrate(index, k, SAMPLE_QUERIES, queries)));
  return c;
}

/** The parameters for a requested recall on one segment. */
export function chooseApproximate(index: SegmentIndex, k: number, recall: number, recent?: RecentQueries): ApproximateChoice {
  return segmentCalibration(index, k, recent)?.choose(recall) ?? EXACT_CHOICE;
}

/**
 * A calibration over `samples` sample queries: the given real queries (the latest `samples` of
 * them), or pseudo-queries from the segment's documents when none are given.
 */
export function calibrate(
  index: SegmentIndex,
  k: number,
  samples = SAMPLE_QUERIES,
  queries?: readonly SparseVector[],
  family: SampleFamily = DEFAULT_FAMILY,
): SegmentCalibration | null {
  const n = index.numDocs;
  if (n < MIN_CALIBRATION_DOCS) return null;
  const needs: Float64Array[] = [];
  const sampled: Sample[] = [];
  const picked =
    queries !== undefined
      ? queries.slice(-samples).map((query) => ({ query, leaveOut: -1 }))
      : Array.from({ length: samples }, (_, i) => {
          const doc = Math.floor(((i + 0.5) * n) / samples);
          return { query: sampleQuery(index, doc, i, family), leaveOut: doc };
        });
  for (const { query, leaveOut } of picked) {
    if (query === undefined) continue;
    const truth = truthOf(index, query, k, leaveOut);
    if (truth.length === 0) continue;
    needs.push(needsOf(index, query, k, truth));
    sampled.push({ query, leaveOut, truth: new Set(truth.map((h) => h.doc)) });
  }
  return new SegmentCalibration(k, needs, index, sampled, queries !== undefined ? "queries" : "documents");
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

/** Sample number `sample` of a calibration from documents: a pseudo-query from `doc` (calibration-samples.ts). */
export function pseudoQuery(index: SegmentIndex, doc: number, sample = 0, family: SampleFamily = DEFAULT_FAMILY): SparseVector | undefined {
  return sampleQuery(index, doc, sample, family);
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
  const range = rangeBound(index, rq, doc >>> RANGE_SHIFT);
  // The kernel caps its threshold at 65535, so a saturated bound is visited at every alpha.
  if (range >= 65535) return 0;
  // A document of a visited range is scored when its own refined bound reaches the threshold.
  const bound = documentBound(index.ranges, index.forward, rq, doc, range);
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
