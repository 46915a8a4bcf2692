import { SparseVector } from "../sparse-vector.js";

export type TermArray = Uint16Array | Uint32Array;

/**
 * Document -> (terms, float32 weights), kept beside the inverted index: exact re-scoring,
 * explain, get-by-doc and merges read it. Doc d's entries are [docStart[d], docStart[d+1]).
 */
export class ForwardIndex {
  readonly docStart: Uint32Array;
  readonly terms: TermArray;
  readonly weights: Float32Array;

  constructor(docStart: Uint32Array, terms: TermArray, weights: Float32Array) {
    this.docStart = docStart;
    this.terms = terms;
    this.weights = weights;
  }

  get numDocs(): number {
    return this.docStart.length - 1;
  }

  /** A document's vector; its arrays are views (no copy) into the index. */
  vector(doc: number): SparseVector {
    const s = this.docStart[doc]!, e = this.docStart[doc + 1]!;
    const terms = this.terms instanceof Uint32Array ? this.terms.subarray(s, e) : Uint32Array.from(this.terms.subarray(s, e));
    return SparseVector.fromArrays(terms, this.weights.subarray(s, e), { vocabSize: 0xffffffff });
  }

  /**
   * The float dot product of doc with a dense query (query weight per term id, 0 elsewhere),
   * summed in float64 in increasing term order: the one definition of the "true" score.
   */
  dot(doc: number, denseQuery: Float64Array): number {
    const t = this.terms, w = this.weights;
    let s = 0;
    for (let i = this.docStart[doc]!, e = this.docStart[doc + 1]!; i < e; i++) {
      const q = denseQuery[t[i]!];
      if (q !== undefined && q !== 0) s += q * w[i]!;
    }
    return s;
  }

  /** Doc's weight of term t (its entries are in increasing term order), 0 when absent. */
  weightOf(doc: number, t: number): number {
    const terms = this.terms;
    for (let i = this.docStart[doc]!, e = this.docStart[doc + 1]!; i < e; i++) {
      if (terms[i] === t) return this.weights[i]!;
      if (terms[i]! > t) return 0;
    }
    return 0;
  }

  byteLength(): number {
    return this.docStart.byteLength + this.terms.byteLength + this.weights.byteLength;
  }
}
