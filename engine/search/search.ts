import { SparseDbError } from "../errors.js";
import type { SegmentIndex } from "../index/segment-index.js";
import type { SparseVector } from "../sparse-vector.js";
import type { DocFilter, SearchContext, TopKAlgorithm } from "./algorithm.js";
import { blockMaxMaxScore } from "./block-max-maxscore.js";
import { blockMaxPruning } from "./block-max-pruning.js";
import { blockMaxWand } from "./block-max-wand.js";
import { rescoreExact } from "./exact-rescore.js";
import { exhaustive } from "./exhaustive.js";
import { maxScore } from "./maxscore.js";
import { makePlan } from "./query-plan.js";
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

export type AlgorithmName = keyof typeof ALGORITHM_TABLE;
export const ALGORITHMS = Object.keys(ALGORITHM_TABLE) as AlgorithmName[];
/** The fastest rank-safe algorithm by this project's benchmarks (BENCHMARKS.md). */
export const DEFAULT_ALGORITHM: AlgorithmName = "bmp";
export const DEFAULT_MAX_K = 10_000;

export interface SegmentSearchOptions {
  k: number;
  algorithm?: AlgorithmName;
  /** true: top-k by the true float dot product; false: top-k by the quantized score. */
  exact?: boolean;
  /** Excludes a document when it returns false (deleted docs, metadata filters). */
  filter?: DocFilter;
  /** The largest k accepted; DEFAULT_MAX_K by default. */
  maxK?: number;
}

export interface SegmentSearchResult {
  hits: DocHit[];
  postingsScored: number;
  /** Exact mode: how many candidates were re-scored in float. */
  candidates: number;
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

/**
 * Top-k of one segment by dot product with `query`. Rank-safe for every algorithm: in
 * quantized mode all return exactly the exhaustive quantized top-k, in exact mode the top-k of
 * the float dot product. Ties break by score, then lower doc id.
 */
export function searchSegment(index: SegmentIndex, query: SparseVector, options: SegmentSearchOptions): SegmentSearchResult {
  const k = checkK(options.k, options.maxK ?? DEFAULT_MAX_K);
  const algorithm = ALGORITHM_TABLE[checkAlgorithm(options.algorithm ?? DEFAULT_ALGORITHM)];
  const exact = options.exact ?? true;
  const plan = makePlan(index.inverted, query);
  const collector = exact ? new TopKCollector(k, plan.margin, true) : new TopKCollector(k);
  const ctx: SearchContext = { index: index.inverted, forward: index.forward, plan, collector, filter: options.filter };
  const postingsScored = plan.terms.length === 0 ? 0 : algorithm(ctx);
  if (exact) {
    const { docs } = collector.candidates();
    return { hits: rescoreExact(index.forward, query, docs, k), postingsScored, candidates: docs.length };
  }
  const hits = collector.results();
  for (const h of hits) h.score *= plan.scoreUnit;
  return { hits, postingsScored, candidates: 0 };
}
