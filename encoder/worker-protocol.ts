import type { ModelInput } from "./onnx/graph-edit.js";
import type { BatchLimits, SparsePair } from "./splade-session.js";
import type { OutputControls } from "./output-controls.js";

/** What every encoder worker is started with (piscina workerData): a SPLADE or a dense model. */
export type WorkerSetup = SpladeWorkerSetup | DenseWorkerSetup;

/** The fields both kinds of worker read. */
interface ModelWorkerSetup {
  /** The pooled ONNX model, shared by all workers without copies. */
  modelBytes: SharedArrayBuffer;
  modelSource: string;
  inputs: ModelInput[];
  outputName: string;
  tokenizerJson: string;
  tokenizerSource: string;
  intraOpThreads: number;
  maxTokens: number;
  limits: BatchLimits;
}

/** A dense encoder's worker: one vector of `dims` floats per text (dims undefined until the first run). */
export interface DenseWorkerSetup extends ModelWorkerSetup {
  kind: "dense";
  dims: number | undefined;
  normalize: boolean;
}

/** A SPLADE encoder's worker: sparse vectors over the tokenizer's vocabulary. */
export interface SpladeWorkerSetup extends ModelWorkerSetup {
  kind: "splade";
  vocabSize: number | undefined;
  controls: OutputControls;
}

/** One task: texts to encode; restrict[i] keeps text i to its own tokens (queries without expansion). */
export interface WorkerTask {
  texts: string[];
  restrict: boolean[];
}

/** A SparseDbError thrown in a worker arrives as an Error whose message is this, its code, ":", its message. */
export const WORKER_ERROR_PREFIX = "SparseDbError:";

export interface EncodedText extends SparsePair {
  /** Tokens the model saw, [CLS] and [SEP] included (0 for text without any). */
  tokens: number;
}

/*
 * Results travel back in one transferable buffer:
 *   u32 n | u32 offsets[n + 1] | u32 tokens[n] | u32 terms[total] | f32 weights[total]
 */
export function packResults(results: EncodedText[]): Uint8Array {
  const n = results.length;
  const total = results.reduce((s, r) => s + r.terms.length, 0);
  const header = 1 + (n + 1) + n;
  const buf = new ArrayBuffer((header + 2 * total) * 4);
  const u32 = new Uint32Array(buf);
  const f32 = new Float32Array(buf);
  u32[0] = n;
  let off = 0;
  results.forEach((r, i) => {
    u32[1 + i] = off;
    u32[2 + n + i] = r.tokens;
    u32.set(r.terms, header + off);
    f32.set(r.weights, header + total + off);
    off += r.terms.length;
  });
  u32[1 + n] = off;
  return new Uint8Array(buf);
}

export function unpackResults(bytes: Uint8Array): EncodedText[] {
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const f32 = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const n = u32[0]!;
  const header = 1 + (n + 1) + n;
  const total = u32[1 + n]!;
  const out: EncodedText[] = [];
  for (let i = 0; i < n; i++) {
    const a = u32[1 + i]!, b = u32[2 + i]!;
    out.push({ terms: u32.subarray(header + a, header + b), weights: f32.subarray(header + total + a, header + total + b), tokens: u32[2 + n + i]! });
  }
  return out;
}

/** A dense result: the text's vector and the tokens the model saw. */
export interface DenseEncodedText {
  vector: Float32Array;
  tokens: number;
}

/*
 * Dense results travel back in one transferable buffer:
 *   u32 n | u32 dims | u32 tokens[n] | f32 vectors[n x dims]
 */
export function packDenseResults(vectors: readonly Float32Array[], tokens: readonly number[]): Uint8Array {
  const n = vectors.length;
  const dims = n > 0 ? vectors[0]!.length : 0;
  const header = 2 + n;
  const buf = new ArrayBuffer((header + n * dims) * 4);
  const u32 = new Uint32Array(buf);
  const f32 = new Float32Array(buf);
  u32[0] = n;
  u32[1] = dims;
  vectors.forEach((v, i) => {
    if (v.length !== dims) throw new Error(`dense result ${i} has ${v.length} values, not ${dims}`);
    u32[2 + i] = tokens[i]!;
    f32.set(v, header + i * dims);
  });
  return new Uint8Array(buf);
}

export function unpackDenseResults(bytes: Uint8Array): DenseEncodedText[] {
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const f32 = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const n = u32[0]!;
  const dims = u32[1]!;
  const header = 2 + n;
  const out: DenseEncodedText[] = [];
  for (let i = 0; i < n; i++) out.push({ vector: f32.subarray(header + i * dims, header + (i + 1) * dims), tokens: u32[2 + i]! });
  return out;
}
