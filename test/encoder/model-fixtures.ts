import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { generateModelFolder, type GenerateModelOptions } from "../../encoder/model-gen/generate-model.js";
import { handSetEmbedding } from "../../encoder/model-gen/weights.js";

/** A generated model folder in a temp dir, removed after the test file. */
export function tempModel(o: GenerateModelOptions): string {
  const root = mkdtempSync(join(tmpdir(), "sparsedb-model-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return generateModelFolder(join(root, "model"), o).dir;
}

/** SPLADE max pooling written out: max over tokens of log(1 + relu(x)), for masked-in tokens. */
export function referencePool(logits: Float32Array, batch: number, seq: number, vocab: number, mask: number[][], pooling: "max" | "sum" = "max"): Float64Array {
  const out = new Float64Array(batch * vocab);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      if (!mask[b]![s]) continue;
      for (let v = 0; v < vocab; v++) {
        const w = Math.log(1 + Math.max(0, logits[(b * seq + s) * vocab + v]!));
        const o = b * vocab + v;
        out[o] = pooling === "max" ? Math.max(out[o]!, w) : out[o]! + w;
      }
    }
  }
  return out;
}

/** The hand-set model's vector in closed form: term j weighs max_t log(1 + relu(e_t . e_j + bias)). */
export function handSetExpected(ids: number[], vocab: number, hidden: number, bias: number): Map<number, number> {
  const emb = Array.from({ length: vocab }, (_, j) => handSetEmbedding(j, hidden));
  const out = new Map<number, number>();
  for (const t of new Set(ids)) {
    const et = emb[t]!;
    for (let j = 0; j < vocab; j++) {
      let d = bias;
      const ej = emb[j]!;
      for (let h = 0; h < hidden; h++) d += et[h]! * ej[h]!;
      const w = Math.log(1 + Math.max(0, d));
      if (w > (out.get(j) ?? 0)) out.set(j, w);
    }
  }
  return out;
}

/** Largest |a - b| over the union of two {term: weight} maps (absent terms weigh 0). */
export function maxDifference(a: Map<number, number>, b: Map<number, number>): number {
  let m = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) m = Math.max(m, Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0)));
  return m;
}

export function asMap(v: { terms: ArrayLike<number>; weights: ArrayLike<number> }): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < v.terms.length; i++) m.set(v.terms[i]!, v.weights[i]!);
  return m;
}

/**
 * Dense pooling written out over one text's unpadded token states ([tokens, hidden] row-major):
 * the mean over its tokens or the first token's state, divided by its L2 norm when asked.
 */
export function referenceDensePool(states: ArrayLike<number>, tokens: number, hidden: number, pooling: "mean" | "cls", normalize: boolean): Float64Array {
  const out = new Float64Array(hidden);
  const used = pooling === "cls" ? 1 : tokens;
  for (let t = 0; t < used; t++) for (let h = 0; h < hidden; h++) out[h] = out[h]! + states[t * hidden + h]! / used;
  if (normalize) {
    const norm = Math.sqrt(out.reduce((s, x) => s + x * x, 0));
    for (let h = 0; h < hidden; h++) out[h] = out[h]! / norm;
  }
  return out;
}

/** Largest |a[i] - b[i]|; lengths must agree. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
