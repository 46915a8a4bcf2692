/**
 * Per-query retrieval measures with trec_eval's conventions (trec_eval 9.x):
 *
 * - Relevant means relevance >= 1 (trec_eval's default `-l 1`); 0 and negative levels are judged
 *   not relevant, and a document absent from the qrels is not relevant.
 * - The ranking is the run's documents sorted by score descending, then by document id
 *   DESCENDING as a string (trec_eval's comp_sim_docno: `strcmp(docno2, docno1)`); the rank
 *   column of a run file is ignored. Use `trecOrder` before these functions.
 * - recip_rank cut at 10 (MRR@10, i.e. `trec_eval -M 10 -m recip_rank`): 1 / rank of the first
 *   relevant document within the top 10, else 0.
 * - ndcg_cut.10: DCG = sum over the top 10 of gain / log2(rank + 1) with gain = the relevance
 *   level (levels <= 0 give 0); the ideal DCG sorts the query's judged levels in descending order;
 *   nDCG = DCG / ideal, and 0 when the ideal is 0 (no relevant document judged).
 * - recall.k: relevant documents in the top k / all relevant documents of the query; 0 when the
 *   query has none.
 * - map (average precision): the sum, over the relevant documents retrieved within the top
 *   `cutoff`, of the precision at each one's rank, divided by all relevant documents of the
 *   query; 0 when it has none. With a run 1000 deep this is trec_eval's `map`.
 */

/** A retrieved document: its id and score. */
export interface ScoredDoc {
  docId: string;
  score: number;
}

/** Relevance levels of one query's judged documents: doc id -> level. */
export type QueryJudgements = ReadonlyMap<string, number>;

/** trec_eval's relevance threshold: a level at or above it is relevant. */
export const RELEVANCE_LEVEL = 1;

/** Compares document ids the way C's strcmp does for ASCII ids (code-unit order). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A copy sorted as trec_eval ranks a run: score descending, then doc id descending. */
export function trecOrder<T extends ScoredDoc>(docs: readonly T[]): T[] {
  return [...docs].sort((x, y) => (x.score !== y.score ? y.score - x.score : compareIds(y.docId, x.docId)));
}

/** 1 / rank of the first relevant document within the top `cutoff` of `ranked`, else 0. */
export function reciprocalRank(ranked: readonly string[], judgements: QueryJudgements, cutoff = 10): number {
  const n = Math.min(cutoff, ranked.length);
  for (let i = 0; i < n; i++) {
    if ((judgements.get(ranked[i]!) ?? 0) >= RELEVANCE_LEVEL) return 1 / (i + 1);
  }
  return 0;
}

/** trec_eval's ndcg_cut.k: graded gains, log2(rank + 1) discount, ideal ranking from the qrels. */
export function ndcgAtK(ranked: readonly string[], judgements: QueryJudgements, k = 10): number {
  const ideal = idealDcg(judgements, k);
  if (ideal === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    const gain = judgements.get(ranked[i]!) ?? 0;
    if (gain > 0) dcg += gain / Math.log2(i + 2);
  }
  return dcg / ideal;
}

function idealDcg(judgements: QueryJudgements, k: number): number {
  const gains = [...judgements.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let dcg = 0;
  for (let i = 0; i < Math.min(k, gains.length); i++) dcg += gains[i]! / Math.log2(i + 2);
  return dcg;
}

/** Relevant documents (level >= 1) in the top k, over all relevant documents; 0 when none exist. */
export function recallAtK(ranked: readonly string[], judgements: QueryJudgements, k: number): number {
  const relevant = countRelevant(judgements);
  if (relevant === 0) return 0;
  let found = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    if ((judgements.get(ranked[i]!) ?? 0) >= RELEVANCE_LEVEL) found++;
  }
  return found / relevant;
}

/** Average precision over the top `cutoff` (trec_eval's `map` for one query). */
export function averagePrecision(ranked: readonly string[], judgements: QueryJudgements, cutoff = 1000): number {
  const relevant = countRelevant(judgements);
  if (relevant === 0) return 0;
  let found = 0, sum = 0;
  const n = Math.min(cutoff, ranked.length);
  for (let i = 0; i < n; i++) {
    if ((judgements.get(ranked[i]!) ?? 0) >= RELEVANCE_LEVEL) sum += ++found / (i + 1);
  }
  return sum / relevant;
}

/** The number of relevant documents (level >= 1) a query has. */
export function countRelevant(judgements: QueryJudgements): number {
  let n = 0;
  for (const level of judgements.values()) if (level >= RELEVANCE_LEVEL) n++;
  return n;
}
