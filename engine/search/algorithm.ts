import type { ForwardIndex } from "../index/forward-index.js";
import type { InvertedIndex } from "../index/inverted-index.js";
import type { QueryPlan } from "./query-plan.js";
import type { TopKCollector } from "./top-k.js";

/** Returns false for a document that must not be returned (deleted, or filtered out). */
export type DocFilter = (doc: number) => boolean;

/**
 * The cursor concepts the algorithms over posting lists need, as PISA names them; PostingCursor
 * (posting-cursor.ts) implements all three. An algorithm asks only for the one it uses.
 */
export interface DocCursor {
  /** The current doc id, END once exhausted. */
  readonly doc: number;
  next(): void;
  /** Moves to the first doc >= target. */
  nextGEQ(target: number): void;
}

export interface ScoredCursor extends DocCursor {
  /** The term's largest possible contribution (>= 0). */
  readonly maxScore: number;
  /** The current doc's contribution, in integer plan units. */
  score(): number;
}

export interface BlockMaxCursor extends ScoredCursor {
  /** An upper bound of the contribution of any doc in [target, end of target's block]. */
  blockMaxScoreGEQ(target: number): number;
  /** The last doc of the block the shallow pointer is on. */
  shallowBlockLastDoc(): number;
  /** An upper bound of the contribution of any doc in [from, to). */
  windowMaxScore(from: number, to: number): number;
  /** Adds the contributions of docs in [start, end) into acc (indexed doc - start), marking seen. */
  accumulate(start: number, end: number, acc: Float64Array, seen: Uint32Array): number;
}

export interface SearchContext<C extends DocCursor = BlockMaxCursor> {
  index: InvertedIndex;
  /** The same documents' float vectors (algorithms that score from it re-quantize exactly). */
  forward: ForwardIndex;
  plan: QueryPlan;
  /** Holds the top-k; it applies the filter (deleted and filtered-out docs never enter). */
  collector: TopKCollector;
  /** One cursor per plan term, in plan order, opened for this call. */
  cursors(): C[];
}

/**
 * A top-k algorithm: offers every document that may belong to the top-k to the collector and
 * returns the number of postings it scored. Pruning is rank-safe: a document is skipped only
 * when an upper bound of its score is strictly below `collector.threshold`.
 */
export type TopKAlgorithm = (ctx: SearchContext) => number;
