import type { ForwardIndex } from "../../engine/index/forward-index.js";
import { TopKCollector, type DocHit } from "../../engine/search/top-k.js";
import type { SparseVector } from "../../engine/sparse-vector.js";

/**
 * The benchmark's ground truth, independent of the engine's search code: float posting lists
 * transposed from the forward index, and term-at-a-time float accumulation. Its top-k is the
 * exact float top-k that `recall` is measured against.
 */
export class FloatReference {
  private readonly termStart: Uint32Array;
  private readonly docs: Uint32Array;
  private readonly weights: Float32Array;
  private readonly acc: Float64Array;
  private readonly touched: Uint8Array;

  constructor(forward: ForwardIndex, vocabSize: number) {
    const n = forward.numDocs;
    const { docStart, terms, weights } = forward;
    this.termStart = new Uint32Array(vocabSize + 1);
    for (let i = 0; i < terms.length; i++) this.termStart[terms[i]! + 1]!++;
    for (let t = 0; t < vocabSize; t++) this.termStart[t + 1]! += this.termStart[t]!;
    const fill = this.termStart.slice(0, vocabSize);
    this.docs = new Uint32Array(terms.length);
    this.weights = new Float32Array(terms.length);
    for (let d = 0; d < n; d++) {
      for (let i = docStart[d]!; i < docStart[d + 1]!; i++) {
        const p = fill[terms[i]!]!++;
        this.docs[p] = d;
        this.weights[p] = weights[i]!;
      }
    }
    this.acc = new Float64Array(n);
    this.touched = new Uint8Array(n);
  }

  topK(query: SparseVector, k: number): DocHit[] {
    const { acc, touched } = this;
    const hit: number[] = [];
    for (let i = 0; i < query.nnz; i++) {
      const t = query.terms[i]!;
      if (t + 1 >= this.termStart.length) continue;
      const q = query.weights[i]!;
      for (let p = this.termStart[t]!, e = this.termStart[t + 1]!; p < e; p++) {
        const d = this.docs[p]!;
        if (touched[d] === 0) {
          touched[d] = 1;
          hit.push(d);
        }
        acc[d] += q * this.weights[p]!;
      }
    }
    const top = new TopKCollector(k);
    for (const d of hit) {
      top.offer(d, acc[d]!);
      acc[d] = 0;
      touched[d] = 0;
    }
    return top.results();
  }
}
