import type { ForwardIndex } from "../index/forward-index.js";
import { compareHits, type DocHit } from "./top-k.js";

/**
 * Exact mode's last step: the candidates that survived the widened threshold are scored with
 * the float weights of the forward index, and the k best by true score are returned.
 */
export function rescoreExact(forward: ForwardIndex, dense: Float64Array, docs: number[], k: number): DocHit[] {
  const hits: DocHit[] = docs.map((doc) => ({ doc, score: forward.dot(doc, dense) }));
  hits.sort(compareHits);
  if (hits.length > k) hits.length = k;
  return hits;
}
