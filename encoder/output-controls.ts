import { SparseDbError } from "../engine/errors.js";
import { SparseVector, type VectorRole } from "../engine/sparse-vector.js";
import type { Vocabulary } from "../engine/vocabulary.js";

/** Output controls shared by every encoder: keep at most topN terms, each above minWeight. */
export interface OutputControls {
  /** Keep only the topN heaviest terms (all by default). */
  topN?: number;
  /** Drop terms whose weight is not above this (0 by default: zeros are always dropped). */
  minWeight?: number;
}

export function checkOutputControls(c: OutputControls): void {
  if (c.topN !== undefined && (!Number.isInteger(c.topN) || c.topN < 1)) {
    throw new SparseDbError("INVALID_ARGUMENT", `topN is ${c.topN}; it must be a positive integer (or left out for all terms)`);
  }
  if (c.minWeight !== undefined && (typeof c.minWeight !== "number" || !Number.isFinite(c.minWeight) || c.minWeight < 0)) {
    throw new SparseDbError("INVALID_ARGUMENT", `minWeight is ${c.minWeight}; it must be a finite number >= 0`);
  }
}

/**
 * The sparse (term id, weight) pairs of one dense row `dense[offset .. offset+vocab)` kept by the
 * controls, in increasing term order.
 */
export function sparsifyRow(dense: Float32Array, offset: number, vocab: number, c: OutputControls): { terms: Uint32Array; weights: Float32Array } {
  const min = c.minWeight ?? 0;
  let n = 0;
  for (let j = 0; j < vocab; j++) if (dense[offset + j]! > min) n++;
  let terms: Uint32Array = new Uint32Array(n);
  let weights: Float32Array = new Float32Array(n);
  let k = 0;
  for (let j = 0; j < vocab; j++) {
    const w = dense[offset + j]!;
    if (w > min) {
      terms[k] = j;
      weights[k++] = w;
    }
  }
  if (c.topN !== undefined && n > c.topN) ({ terms, weights } = keepTopN(terms, weights, c.topN));
  return { terms, weights };
}

/** Applies the controls to parallel arrays (any order); returns them in increasing term order. */
export function applyControls(terms: ArrayLike<number>, weights: ArrayLike<number>, c: OutputControls): { terms: Uint32Array; weights: Float32Array } {
  const min = c.minWeight ?? 0;
  const idx: number[] = [];
  for (let i = 0; i < terms.length; i++) if (weights[i]! > min) idx.push(i);
  idx.sort((a, b) => terms[a]! - terms[b]!);
  let t: Uint32Array = Uint32Array.from(idx, (i) => terms[i]!);
  let w: Float32Array = Float32Array.from(idx, (i) => weights[i]!);
  if (c.topN !== undefined && t.length > c.topN) ({ terms: t, weights: w } = keepTopN(t, w, c.topN));
  return { terms: t, weights: w };
}

/** The topN heaviest of sorted pairs (ties: lower term id first), still sorted by term id. */
function keepTopN(terms: Uint32Array, weights: Float32Array, topN: number): { terms: Uint32Array; weights: Float32Array } {
  const order = Array.from({ length: terms.length }, (_, i) => i);
  order.sort((a, b) => weights[b]! - weights[a]! || a - b);
  const kept = order.slice(0, topN).sort((a, b) => a - b);
  return { terms: Uint32Array.from(kept, (i) => terms[i]!), weights: Float32Array.from(kept, (i) => weights[i]!) };
}

export function toVector(p: { terms: Uint32Array; weights: Float32Array }, vocabSize: number, role: VectorRole): SparseVector {
  return SparseVector.fromArrays(p.terms, p.weights, { vocabSize, role });
}

/** `[{token, weight}]`, heaviest first (ties by token id): the human-readable view of a vector. */
export function decodeVector(v: SparseVector, vocabulary: Vocabulary): { token: string; weight: number }[] {
  const order = Array.from({ length: v.nnz }, (_, i) => i);
  order.sort((a, b) => v.weights[b]! - v.weights[a]! || a - b);
  return order.map((i) => ({ token: vocabulary.tokenOf(v.terms[i]!), weight: v.weights[i]! }));
}
