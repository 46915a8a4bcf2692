import { SparseDbError } from "./errors.js";
import { typeName } from "./type-name.js";
import { BERT_VOCAB_SIZE, Vocabulary } from "./vocabulary.js";

/**
 * Documents carry non-negative weights (SPLADE's log(1 + relu(x)) is never negative); queries
 * may carry any finite weight, negative ones included.
 */
export type VectorRole = "document" | "query";

export interface VectorOptions {
  /** document (the default) rejects negative weights; query accepts any finite weight. */
  role?: VectorRole;
  /** Term ids must be below this; BERT's 30522 by default. */
  vocabSize?: number;
}

/**
 * A sparse vector over a vocabulary: strictly increasing term ids and their float32 weights.
 * Zero weights are dropped on construction, so `nnz` counts real non-zeros. Immutable by
 * convention: the arrays are shared, never copied on read.
 */
export class SparseVector {
  readonly terms: Uint32Array;
  readonly weights: Float32Array;

  private constructor(terms: Uint32Array, weights: Float32Array) {
    this.terms = terms;
    this.weights = weights;
  }

  get nnz(): number {
    return this.terms.length;
  }

  static empty(): SparseVector {
    return new SparseVector(new Uint32Array(0), new Float32Array(0));
  }

  /**
   * From parallel arrays of term ids and weights, in any order. Throws on a duplicate or
   * out-of-range term id, a NaN or infinite weight, or (for documents) a negative weight.
   */
  static fromArrays(
    terms: ArrayLike<number>,
    weights: ArrayLike<number>,
    options: VectorOptions = {},
  ): SparseVector {
    if (terms.length !== weights.length) {
      throw new SparseDbError(
        "INVALID_VECTOR",
        `terms and weights differ in length (${terms.length} vs ${weights.length}); pass one weight per term id`,
      );
    }
    const n = terms.length;
    let sorted = true;
    for (let i = 1; i < n; i++) {
      if (terms[i]! <= terms[i - 1]!) {
        sorted = false;
        break;
      }
    }
    let order: number[] | null = null;
    if (!sorted) {
      order = Array.from({ length: n }, (_, i) => i);
      order.sort((a, b) => terms[a]! - terms[b]!);
    }
    const role = options.role ?? "document";
    const vocabSize = options.vocabSize ?? BERT_VOCAB_SIZE;
    let kept = 0;
    const outTerms = new Uint32Array(n);
    const outWeights = new Float32Array(n);
    let prev = -1;
    for (let j = 0; j < n; j++) {
      const i = order === null ? j : order[j]!;
      const t = terms[i]!;
      const w = weights[i]!;
      checkEntry(t, w, vocabSize, role, i);
      if (t === prev) {
        throw new SparseDbError("INVALID_VECTOR", `term id ${t} appears twice; each term id may appear once`);
      }
      prev = t;
      const w32 = Math.fround(w);
      if (!Number.isFinite(w32)) {
        throw new SparseDbError("INVALID_VECTOR", `weight ${w} of term ${t} overflows float32; scale the vector down`);
      }
      if (w32 === 0) continue;
      outTerms[kept] = t;
      outWeights[kept] = w32;
      kept++;
    }
    return new SparseVector(outTerms.slice(0, kept), outWeights.slice(0, kept));
  }

  /**
   * From arrays a trusted parser has already made valid (strictly increasing term ids below the
   * vocabulary size, finite non-zero float32 weights), taken as they are without a copy: the
   * bulk ingest's chunk parser (engine/cli/anserini-chunk-parser.ts) builds them that way in a
   * worker, so checking them again here would repeat its work on the main thread.
   */
  static fromCheckedArrays(terms: Uint32Array, weights: Float32Array): SparseVector {
    return new SparseVector(terms, weights);
  }

  /** From an object `{termId: weight}` (keys are decimal term ids). */
  static fromTermMap(map: Record<string, number>, options: VectorOptions = {}): SparseVector {
    if (map === null || typeof map !== "object" || Array.isArray(map)) {
      throw new SparseDbError("INVALID_VECTOR", "a term map must be an object {termId: weight}");
    }
    const keys = Object.keys(map);
    const terms = new Array<number>(keys.length);
    const weights = new Array<number>(keys.length);
    keys.forEach((k, i) => {
      if (!/^\d+$/.test(k)) {
        throw new SparseDbError("INVALID_VECTOR", `term map key "${k}" is not a non-negative integer term id; to key a vector by tokens, write {"tokens": {"${k}": ...}}`);
      }
      terms[i] = Number(k);
      weights[i] = map[k] as number;
    });
    return SparseVector.fromArrays(terms, weights, options);
  }

  /** From an object `{token: weight}`, mapping tokens through a vocabulary. */
  static fromTokenMap(
    map: Record<string, number>,
    vocabulary: Vocabulary,
    options: VectorOptions = {},
  ): SparseVector {
    if (map === null || typeof map !== "object" || Array.isArray(map)) {
      throw new SparseDbError("INVALID_VECTOR", "a token map must be an object {token: weight}");
    }
    const keys = Object.keys(map);
    const terms = new Array<number>(keys.length);
    const weights = new Array<number>(keys.length);
    keys.forEach((tok, i) => {
      const id = vocabulary.idOf(tok);
      if (id === undefined) {
        throw new SparseDbError(
          "INVALID_VECTOR",
          `unknown token "${tok}": it is not in the vocabulary (${vocabulary.size} terms); use the model's tokenizer vocabulary`,
        );
      }
      terms[i] = id;
      weights[i] = map[tok] as number;
    });
    return SparseVector.fromArrays(terms, weights, { vocabSize: vocabulary.size, ...options });
  }

  /** Dot product with another sparse vector, in float64, by a merge over the sorted term ids. */
  dot(other: SparseVector): number {
    const a = this.terms, b = other.terms, wa = this.weights, wb = other.weights;
    let i = 0, j = 0, s = 0;
    while (i < a.length && j < b.length) {
      const x = a[i]!, y = b[j]!;
      if (x === y) s += wa[i++]! * wb[j++]!;
      else if (x < y) i++;
      else j++;
    }
    return s;
  }

  /** `{termId: weight}`, the inverse of fromTermMap. */
  toTermMap(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.terms.length; i++) out[this.terms[i]!] = this.weights[i]!;
    return out;
  }

  equals(other: SparseVector): boolean {
    if (this.nnz !== other.nnz) return false;
    for (let i = 0; i < this.nnz; i++) {
      if (this.terms[i] !== other.terms[i] || !Object.is(this.weights[i], other.weights[i])) return false;
    }
    return true;
  }
}

function checkEntry(t: number, w: number, vocabSize: number, role: VectorRole, index: number): void {
  if (typeof t !== "number") throw new SparseDbError("INVALID_VECTOR", `entry ${index}: term id must be a number, got ${typeName(t)}`);
  if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
    throw new SparseDbError(
      "INVALID_VECTOR",
      `entry ${index}: term id ${String(t)} is not an integer in 0..${vocabSize - 1}`,
    );
  }
  if (typeof w !== "number") throw new SparseDbError("INVALID_VECTOR", `entry ${index}: weight of term ${t} must be a number, got ${typeName(w)}`);
  if (Number.isNaN(w)) {
    throw new SparseDbError("INVALID_VECTOR", `entry ${index}: weight of term ${t} is ${String(w)}; weights must be finite numbers`);
  }
  if (!Number.isFinite(w)) {
    throw new SparseDbError("INVALID_VECTOR", `entry ${index}: weight of term ${t} is ${w}; weights must be finite`);
  }
  if (role === "document" && w < 0) {
    throw new SparseDbError(
      "INVALID_VECTOR",
      `entry ${index}: document weight of term ${t} is negative (${w}); document weights must be >= 0 (queries may be negative)`,
    );
  }
}
