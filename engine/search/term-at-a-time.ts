import { unpackDocIds } from "../index/bit-packing.js";
import { BLOCK_SIZE } from "../index/inverted-index.js";
import type { SearchContext } from "./algorithm.js";

/**
 * Term-at-a-time: decodes each query term's whole posting list into a dense score accumulator
 * (one slot per document), then selects the top-k from the touched documents. No pruning; its
 * cost is the total length of the query's posting lists plus one pass over the documents.
 */
export function termAtATime(ctx: SearchContext): number {
  const { index, plan, collector } = ctx;
  const a = index.a;
  const numDocs = index.numDocs;
  const acc = new Float64Array(numDocs);
  const touched = new Uint8Array(numDocs);
  const docs = new Int32Array(BLOCK_SIZE);
  let scored = 0;
  for (let i = 0; i < plan.terms.length; i++) {
    const t = plan.terms[i]!;
    const w = plan.weights[i]!;
    const fb = a.termBlockStart[t]!, eb = a.termBlockStart[t + 1]!;
    const pe = a.termPostingStart[t + 1]!;
    let p = a.termPostingStart[t]!;
    let prev = -1;
    for (let b = fb; b < eb; b++) {
      const n = Math.min(BLOCK_SIZE, pe - p);
      unpackDocIds(a.docWords, a.blockWordStart[b]!, n, a.blockBits[b]!, prev, docs);
      for (let j = 0; j < n; j++) {
        const d = docs[j]!;
        acc[d] += w * a.impacts[p + j]!;
        touched[d] = 1;
      }
      prev = docs[n - 1]!;
      p += n;
    }
    scored += a.termPostingStart[t + 1]! - a.termPostingStart[t]!;
  }
  // Increasing doc order: a score equal to the threshold never beats the kept hit, so `<`
  // here only skips documents offer() would reject anyway.
  for (let d = 0; d < numDocs; d++) {
    if (touched[d] === 0) continue;
    const s = acc[d]!;
    if (s < collector.threshold) continue;
    collector.offer(d, s);
  }
  return scored;
}
