import { BERT_VOCAB_SIZE } from "../../engine/vocabulary.js";
import { DEFAULT_STATS_DATA } from "./default-stats.js";
import { decodeShares } from "./share-codec.js";

export { fitStats, type FitOptions } from "./fit-stats.js";

/**
 * The statistics a synthetic SPLADE corpus is drawn from, one set for documents and one for
 * queries. They are fitted from real SPLADE++ vectors by `fitStats` (see fit-stats.ts for how);
 * `defaultStats()` returns the built-in fit, committed in default-stats.ts.
 */
export interface CorpusStats {
  vocabSize: number;
  /** Where the numbers came from, in words (printed by benchmarks). */
  source: string;
  documents: SideStats;
  queries: SideStats;
}

export interface SideStats {
  /**
   * Per term id, its share of all postings (sums to 1). A vector with n non-zeros holds term t
   * with probability about min(1, n * share[t]); the generator samples terms in proportion to
   * -ln(1 - that), so that frequent terms do not saturate.
   */
  termShare: Float64Array;
  /** Mean non-zeros of the real vectors fitted (the generator's target mean is separate). */
  nnzMean: number;
  /** The shape of the non-zeros-per-vector distribution, relative to its mean. */
  nnz: NnzModel;
  weights: WeightModel;
}

/**
 * nnz / mean: lognormal with this sigma (documents: the 20 real document vectors are too few for
 * a table), or an inverse CDF table at p = i / (n - 1), interpolated linearly, whose mean is 1.
 */
export type NnzModel = { kind: "lognormal"; sigma: number } | { kind: "quantiles"; relative: number[] };

/**
 * Weights depend on how popular the term is (rare terms weigh more in SPLADE): terms fall into
 * popularity classes by their share, and each class has its own inverse CDF table.
 */
export interface WeightModel {
  /**
   * Descending share thresholds: a term is in the first class c with share >= classMinShare[c],
   * or in the last class when none matches. Length = number of classes - 1.
   */
  classMinShare: number[];
  /** Per class: weights at p = i / (n - 1), ascending, all > 0 (linear in between). */
  quantiles: number[][];
}

/** The serialized form of CorpusStats (what default-stats.ts holds). */
export interface CorpusStatsData {
  vocabSize: number;
  source: string;
  documents: SideStatsData;
  queries: SideStatsData;
}

export interface SideStatsData {
  /** share-codec.ts' text form of termShare. */
  termShareLog2: string;
  nnzMean: number;
  nnz: NnzModel;
  weights: WeightModel;
}

let builtIn: CorpusStats | undefined;

/** The built-in statistics (fitted from the shared data by `npm run bench -- synthetic fit --write`). */
export function defaultStats(): CorpusStats {
  builtIn ??= statsFromData(DEFAULT_STATS_DATA);
  return builtIn;
}

export function statsFromData(data: CorpusStatsData): CorpusStats {
  const side = (s: SideStatsData): SideStats => ({
    termShare: decodeShares(s.termShareLog2, data.vocabSize),
    nnzMean: s.nnzMean,
    nnz: s.nnz,
    weights: s.weights,
  });
  return { vocabSize: data.vocabSize, source: data.source, documents: side(data.documents), queries: side(data.queries) };
}

/** The popularity class of each term id under a weight model. */
export function termClasses(termShare: Float64Array, model: WeightModel): Uint8Array {
  const classes = new Uint8Array(termShare.length);
  const bounds = model.classMinShare;
  for (let t = 0; t < termShare.length; t++) {
    let c = 0;
    while (c < bounds.length && termShare[t]! < bounds[c]!) c++;
    classes[t] = c;
  }
  return classes;
}

/** How many of the most popular terms carry `fraction` of all postings. */
export function termsCarrying(termShare: Float64Array, fraction: number): number {
  const sorted = Float64Array.from(termShare).sort().reverse();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    sum += sorted[i]!;
    if (sum >= fraction) return i + 1;
  }
  return sorted.length;
}

/** Linear interpolation in an inverse CDF table at p = i / (n - 1). */
export function quantileAt(table: readonly number[], p: number): number {
  const x = p * (table.length - 1);
  const i = Math.min(table.length - 2, Math.floor(x));
  return table[i]! + (table[i + 1]! - table[i]!) * (x - i);
}

export const DEFAULT_VOCAB_SIZE = BERT_VOCAB_SIZE;
