import { SparseDbError } from "../errors.js";
import { REFINE_TERMS } from "./kernel-abi.js";
import type { SegmentIndex } from "../index/segment-index.js";
import type { SparseVector } from "../sparse-vector.js";
import type { DocFilter, SearchContext, TopKAlgorithm } from "./algorithm.js";
import { blockMaxMaxScore } from "./block-max-maxscore.js";
import { blockMaxPruning } from "./block-max-pruning.js";
import { blockMaxWand } from "./block-max-wand.js";
import { rescoreExact } from "./exact-rescore.js";
import { rangeSearch, type RangePhases } from "./range-search.js";
import { seismicSearch, type SeismicParams } from "./seismic-index.js";
import { exhaustive } from "./exhaustive.js";
import { maxScore } from "./maxscore.js";
import { makePlan, openCursors } from "./query-plan.js";
import { termAtATime } from "./term-at-a-time.js";
import { TopKCollector, type DocHit } from "./top-k.js";
import { wand } from "./wand.js";

const ALGORITHM_TABLE = {
  exhaustive,
  taat: termAtATime,
  maxscore: maxScore,
  wand,
  bmw: blockMaxWand,
  bmm: blockMaxMaxScore,
  bmp: blockMaxPruning,
} satisfies Record<string, TopKAlgorithm>;

/**
 * `ranges` (range-search.ts) is the default: exact float top-k over the range layout in
 * WebAssembly, `ranges-ts` its TypeScript reference. The others run over the block posting
 * lists (SearchContext) and stay as references and for comparison.
 */
export type AlgorithmName = "ranges" | "ranges-ts" | keyof typeof ALGORITHM_TABLE;
export const ALGORITHMS: AlgorithmName[] = ["ranges", "ranges-ts", ...(Object.keys(ALGORITHM_TABLE) as (keyof typeof ALGORITHM_TABLE)[])];
/** The fastest rank-safe algorithm by this project's benchmarks (BENCHMARKS.md). */
export const DEFAULT_ALGORITHM: AlgorithmName = "ranges";
export const DEFAULT_MAX_K = 10_000;

export interface SegmentSearchOptions {
  k: number;
  /**
   * "seismic": the approximate Seismic-style index (seismic-index.ts) with `seismic`'s
   * parameters; exact float scores, approximate in which documents it finds. Not rank-safe, so
   * not one of ALGORITHMS.
   */
  algorithm?: AlgorithmName | "seismic";
  seismic?: SeismicParams;
  /** true: top-k by the true float dot product; false: top-k by the quantized score. */
  exact?: boolean;
  /** Excludes a document when it returns false (deleted docs, metadata filters). */
  filter?: DocFilter;
  /** The largest k accepted; DEFAULT_MAX_K by default. */
  maxK?: number;
  /**
   * When `filter` rejects deleted documents only: how many there are. Lets the range search
   * start from a rank-safe threshold; leave it out for any other filter.
   */
  excluded?: number;
  /** Time the range search's phases into the result. */
  phases?: boolean;
  /**
   * Bound scaling for approximate search, in (0, 2]; 1 (the default) is rank-safe (above 1 it
   * makes up for terms that `boundMass` leaves out of the bounds). Only the range algorithms
   * (`ranges`, `ranges-ts`) take it, and `boundMass` and `maxRanges` too (range-query.ts).
   */
  alpha?: number;
  /**
   * The search's scoreThreshold: the range algorithms skip what cannot reach it. Hits below it
   * may still come back (the caller drops them); the other algorithms ignore it.
   */
  minScore?: number;
  /** Approximate: share in (0, 1] of the query's mass whose terms enter the bounds; 1 by default. */
  boundMass?: number;
  /** Approximate: score at most this many ranges, best first; 0 (the default): no cap. */
  maxRanges?: number;
  /**
   * Range algorithms: how many terms a visited document's own bound is refined with before it is
   * scored (range-query.ts, "Document bounds"), 0..REFINE_TERMS (the default). Rank-safe at every
   * value: it changes the work, never the hits of an exact search (0 is the search before it).
   */
  refineTerms?: number;
}

export interface SegmentSearchResult {
  hits: DocHit[];
  postingsScored: number;
  /** Exact mode: how many candidates were re-scored in float (range search: ranges collected). */
  candidates: number;
  phases?: RangePhases;
}

export function checkK(k: unknown, maxK: number = DEFAULT_MAX_K): number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k > maxK) {
    throw new SparseDbError("INVALID_ARGUMENT", `k must be an integer in 1..${maxK}, got ${String(k)}`);
  }
  return k;
}

export function checkAlgorithm(name: unknown): AlgorithmName {
  if (typeof name !== "string" || !(ALGORITHMS as string[]).includes(name)) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `unknown algorithm ${JSON.stringify(name)}; choose one of: ${ALGORITHMS.join(", ")}`,
    );
  }
  return name as AlgorithmName;
}

function checkAlpha(alpha: unknown): number {
  if (alpha === undefined) return 1;
  if (typeof alpha !== "number" || !(alpha > 0 && alpha <= 2)) {
    throw new SparseDbError("INVALID_ARGUMENT", `alpha must be a number in (0, 2], got ${String(alpha)}`);
  }
  return alpha;
}

/** The approximate knobs other than alpha: undefined when they ask for nothing. */
function checkRefineTerms(n: unknown): number | undefined {
  if (n !== undefined && (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > REFINE_TERMS)) {
    throw new SparseDbError("INVALID_ARGUMENT", `refineTerms must be an integer in 0..${REFINE_TERMS}, got ${String(n)}`);
  }
  return n as number | undefined;
}

function checkPruning(o: SegmentSearchOptions): { boundMass: number | undefined; maxRanges: number | undefined } {
  const { boundMass, maxRanges } = o;
  if (boundMass !== undefined && (typeof boundMass !== "number" || !(boundMass > 0 && boundMass <= 1))) {
    throw new SparseDbError("INVALID_ARGUMENT", `boundMass must be a number in (0, 1], got ${String(boundMass)}`);
  }
  if (maxRanges !== undefined && (typeof maxRanges !== "number" || !Number.isInteger(maxRanges) || maxRanges < 0)) {
    throw new SparseDbError("INVALID_ARGUMENT", `maxRanges must be an integer >= 0 (0: no cap), got ${String(maxRanges)}`);
  }
  return { boundMass: boundMass === 1 ? undefined : boundMass, maxRanges: maxRanges === 0 ? undefined : maxRanges };
}

/**
 * Top-k of one segment by dot product with `query`. Rank-safe for every algorithm: in
 * quantized mode all return exactly the exhaustive quantized top-k, in exact mode the top-k of
 * the float dot product. Ties break by score, then lower doc id.
 */
export function searchSegment(index: SegmentIndex, query: SparseVector, options: SegmentSearchOptions): SegmentSearchResult {
  const k = checkK(options.k, options.maxK ?? DEFAULT_MAX_K);
  if (options.seismic !== undefined && options.algorithm !== "seismic") {
    throw new SparseDbError("INVALID_ARGUMENT", `seismic parameters apply to algorithm "seismic" only (algorithm is ${String(options.algorithm ?? DEFAULT_ALGORITHM)})`);
  }
  if (options.algorithm === "seismic") {
    if (options.exact === false) throw new SparseDbError("INVALID_ARGUMENT", "the seismic index scores in float only; leave exact out or set it true");
    if (options.alpha !== undefined && options.alpha !== 1) throw new SparseDbError("INVALID_ARGUMENT", `bound scaling (alpha ${options.alpha}) needs a range algorithm, not seismic`);
    if (options.boundMass !== undefined || options.maxRanges !== undefined) throw new SparseDbError("INVALID_ARGUMENT", "boundMass and maxRanges need a range algorithm, not seismic");
    const r = seismicSearch(index, query, k, options.seismic, options.filter);
    return { hits: r.hits, postingsScored: r.postingsScored, candidates: r.docsScored };
  }
  const name = checkAlgorithm(options.algorithm ?? DEFAULT_ALGORITHM);
  const exact = options.exact ?? true;
  const alpha = checkAlpha(options.alpha);
  const { boundMass, maxRanges } = checkPruning(options);
  if (name === "ranges" || name === "ranges-ts") {
    return rangeSearch(index, query, {
      k,
      exact,
      filter: options.filter,
      excluded: options.excluded,
      phases: options.phases,
      reference: name === "ranges-ts",
      alpha,
      minScore: options.minScore,
      boundMass,
      maxRanges,
      refineTerms: checkRefineTerms(options.refineTerms),
    });
  }
  if (boundMass !== undefined || maxRanges !== undefined) throw new SparseDbError("INVALID_ARGUMENT", `boundMass and maxRanges need a range algorithm (ranges or ranges-ts), not ${name}`);
  if (alpha !== 1) throw new SparseDbError("INVALID_ARGUMENT", `bound scaling (alpha ${alpha}) needs a range algorithm (ranges or ranges-ts), not ${name}`);
  const algorithm = ALGORITHM_TABLE[name];
  const plan = makePlan(index.inverted, query);
  const collector = new TopKCollector(k, exact ? plan.margin : 0, exact, options.filter);
  const inverted = index.inverted;
  const ctx: SearchContext = { index: inverted, forward: index.forward, plan, collector, cursors: () => openCursors(inverted, plan) };
  const postingsScored = plan.terms.length === 0 ? 0 : algorithm(ctx);
  if (exact) {
    const { docs } = collector.candidates();
    return { hits: rescoreExact(index.forward, query, docs, k), postingsScored, candidates: docs.length };
  }
  const hits = collector.results();
  for (const h of hits) h.score *= plan.scoreUnit;
  return { hits, postingsScored, candidates: 0 };
}
