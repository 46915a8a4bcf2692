import type { ForwardIndex } from "../index/forward-index.js";
import type { InvertedIndex } from "../index/inverted-index.js";
import type { QueryPlan } from "./query-plan.js";
import type { TopKCollector } from "./top-k.js";

/** Returns false for a document that must not be returned (deleted, or filtered out). */
export type DocFilter = (doc: number) => boolean;

export interface SearchContext {
  index: InvertedIndex;
  /** The same documents' float vectors (algorithms that score from it re-quantize exactly). */
  forward: ForwardIndex;
  plan: QueryPlan;
  collector: TopKCollector;
  filter: DocFilter | undefined;
}

/**
 * A top-k algorithm: offers every document that may belong to the top-k to the collector and
 * returns the number of postings it scored. Pruning is rank-safe: a document is skipped only
 * when an upper bound of its score is strictly below `collector.threshold`.
 */
export type TopKAlgorithm = (ctx: SearchContext) => number;
