import type { InvertedIndex } from "../index/inverted-index.js";
import type { Quantizer } from "../index/quantizer.js";
import type { SparseVector } from "../sparse-vector.js";
import { PostingCursor } from "./posting-cursor.js";

/**
 * How a float query meets a quantized index.
 *
 * Scores inside the algorithms are integers: each query weight q_t becomes
 * `w_t = round(q_t * 2^shift)`, chosen so that |w_t| < 2^queryBits, and a document's quantized
 * score is `sum_t w_t * impact_dt`. With queryBits + impactBits + log2(terms) <= 52 every such
 * sum is an exact integer in a float64, so every algorithm computes bit-identical scores in
 * any order, and ties break the same way everywhere. `scoreUnit = step * 2^-shift` turns an
 * integer score back into float units.
 *
 * The error bound. With q'_t = w_t 2^-shift and w'_dt = impact_dt * step:
 *   |q w - q' w'| <= |q| |w - w'| + |q - q'| w' <= |q_t| * step/2 + 2^(-shift-1) * maxWeight,
 * since rounding puts |w - w'| <= step/2, |q - q'| <= 2^(-shift-1), and w' <= maxWeight. So the
 * true float score s(d) and the quantized one s'(d) differ by at most
 *   E = sum over query terms of (|q_t| * step/2 + 2^(-shift-1) * maxWeight).
 * If theta is the k-th best quantized score, k documents have s >= theta - E, so the k-th best
 * true score is >= theta - E and every true top-k document has s' >= theta - 2E. Exact mode
 * therefore prunes only below theta - 2E (the `margin`) and re-scores the survivors in float.
 */
export interface QueryPlan {
  /** Query terms that have postings, with their integer weights. */
  terms: number[];
  weights: number[];
  scoreUnit: number;
  /** 2E in integer score units, rounded up with slack: the exact-mode margin. */
  margin: number;
}

/** What a plan needs of a segment: its terms and its quantization. */
export interface PlanSource {
  readonly numTerms: number;
  readonly quantizer: Quantizer;
  docFreq(term: number): number;
}

export function makePlan(index: PlanSource, query: SparseVector): QueryPlan {
  const q = index.quantizer;
  const terms: number[] = [];
  const floats: number[] = [];
  let maxAbs = 0;
  for (let i = 0; i < query.nnz; i++) {
    const t = query.terms[i]!;
    if (t >= index.numTerms || index.docFreq(t) === 0) continue;
    const w = query.weights[i]!;
    terms.push(t);
    floats.push(w);
    if (Math.abs(w) > maxAbs) maxAbs = Math.abs(w);
  }
  const n = terms.length;
  const queryBits = Math.min(24, 52 - q.bits - Math.ceil(Math.log2(n + 1)));
  const limit = 2 ** queryBits - 1;
  let shift = maxAbs > 0 ? Math.floor(Math.log2(limit / maxAbs)) : 0;
  while (maxAbs * 2 ** shift > limit) shift--;
  const scale = 2 ** shift;
  const weights = floats.map((w) => Math.round(w * scale));
  const scoreUnit = q.step / scale;
  let e = 0;
  for (const w of floats) e += Math.abs(w) * (q.step / 2) + q.maxWeight / (2 * scale);
  const margin = n === 0 ? 0 : Math.ceil(((2 * e) / scoreUnit) * (1 + 1e-9)) + 1;
  return { terms, weights, scoreUnit, margin };
}

export function openCursors(index: InvertedIndex, plan: QueryPlan): PostingCursor[] {
  return plan.terms.map((t, i) => new PostingCursor(index, t, plan.weights[i]!));
}
