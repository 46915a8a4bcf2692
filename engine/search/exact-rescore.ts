import type { ForwardIndex } from "../index/forward-index.js";
import type { SparseVector } from "../sparse-vector.js";
import { compareHits, type DocHit } from "./top-k.js";

/**
 * Exact mode's last step: the candidates that survived the widened threshold are scored with
 * the float weights of the forward index, and the k best by true score are returned.
 */
export function rescoreExact(forward: ForwardIndex, query: SparseVector, docs: number[], k: number): DocHit[] {
  if (docs.length === 0) return [];
  // Term ids increase, so the last is the largest.
  const dense = new Float64Array(query.nnz === 0 ? 0 : query.terms[query.nnz - 1]! + 1);
  for (let i = 0; i < query.nnz; i++) dense[query.terms[i]!] = query.weights[i]!;
  const hits: DocHit[] = docs.map((doc) => ({ doc, score: forward.dot(doc, dense) }));
  hits.sort(compareHits);
  if (hits.length > k) hits.length = k;
  return hits;
}
