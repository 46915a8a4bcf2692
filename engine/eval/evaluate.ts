import { SparseDbError } from "../errors.js";
import type { Qrels } from "./qrels.js";
import { averagePrecision, ndcgAtK, reciprocalRank, recallAtK, trecOrder, type ScoredDoc } from "./measures.js";

/** A run: query id -> the documents retrieved for it (any order; ranked by `trecOrder`). */
export type Run = Map<string, ScoredDoc[]>;

/** The four measures the MS MARCO and BEIR leaderboards report, and MAP (the classic collections'). */
export interface Metrics {
  "MRR@10": number;
  "nDCG@10": number;
  "R@100": number;
  "R@1000": number;
  "MAP@1000": number;
}

export const METRIC_NAMES = ["MRR@10", "nDCG@10", "R@100", "R@1000", "MAP@1000"] as const satisfies readonly (keyof Metrics)[];

/** Every measure at 0: a query that retrieved nothing, or the start of a sum. */
export function zeroMetrics(): Metrics {
  return { "MRR@10": 0, "nDCG@10": 0, "R@100": 0, "R@1000": 0, "MAP@1000": 0 };
}

export interface EvaluateOptions {
  /**
   * trec_eval's `-c`: also average over queries that have judgements but are absent from the
   * run, scoring them 0. Without it (trec_eval's default) the mean covers only queries found in
   * both the run and the qrels. The benchmark runner sets it, so a query that fails to retrieve
   * anything counts against the score instead of vanishing from the average.
   */
  complete?: boolean;
}

export interface Evaluation {
  /** The mean of each measure over `queries` queries. */
  mean: Metrics;
  /** Each evaluated query's measures. */
  perQuery: Map<string, Metrics>;
  /** How many queries the mean is over. */
  queries: number;
  /** Run queries without any judgement, left out as trec_eval leaves them out. */
  unjudgedQueries: number;
}

/** Scores one query's retrieved documents against its judgements. */
export function evaluateQuery(docs: readonly ScoredDoc[], judgements: ReadonlyMap<string, number>): Metrics {
  const ranked = trecOrder(docs).map((d) => d.docId);
  return {
    "MRR@10": reciprocalRank(ranked, judgements, 10),
    "nDCG@10": ndcgAtK(ranked, judgements, 10),
    "R@100": recallAtK(ranked, judgements, 100),
    "R@1000": recallAtK(ranked, judgements, 1000),
    "MAP@1000": averagePrecision(ranked, judgements, 1000),
  };
}

/**
 * Evaluates a run as trec_eval does: queries of the run without judgements are ignored; queries
 * judged but with no relevant document (all levels 0) count with zeros; see `complete` for
 * judged queries missing from the run. Duplicate documents within a query are an error, as in
 * trec_eval.
 */
export function evaluateRun(run: Run, qrels: Qrels, options: EvaluateOptions = {}): Evaluation {
  const perQuery = new Map<string, Metrics>();
  let unjudgedQueries = 0;
  for (const [queryId, docs] of run) {
    const judgements = qrels.get(queryId);
    if (judgements === undefined) {
      unjudgedQueries++;
      continue;
    }
    assertNoDuplicates(queryId, docs);
    perQuery.set(queryId, evaluateQuery(docs, judgements));
  }
  if (options.complete) {
    for (const queryId of qrels.keys()) {
      if (!perQuery.has(queryId)) perQuery.set(queryId, zeroMetrics());
    }
  }
  const mean: Metrics = zeroMetrics();
  for (const m of perQuery.values()) for (const name of METRIC_NAMES) mean[name] += m[name];
  const n = perQuery.size;
  if (n > 0) for (const name of METRIC_NAMES) mean[name] /= n;
  return { mean, perQuery, queries: n, unjudgedQueries };
}

function assertNoDuplicates(queryId: string, docs: readonly ScoredDoc[]): void {
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.docId)) {
      throw new SparseDbError("INVALID_ARGUMENT", `query ${queryId} retrieves document ${d.docId} twice; a run lists each document once per query`);
    }
    seen.add(d.docId);
  }
}
