import type { ModelInput } from "./onnx/append-pooling.js";
import type { BatchLimits, SparsePair } from "./splade-session.js";
import type { OutputControls } from "./output-controls.js";

/** What every encoder worker is started with (piscina workerData). */
export interface WorkerSetup {
  /** The pooled ONNX model, shared by all workers without copies. */
  modelBytes: SharedArrayBuffer;
  modelSource: string;
  inputs: ModelInput[];
  outputName: string;
  vocabSize: number | undefined;
  tokenizerJson: string;
  tokenizerSource: string;
  intraOpThreads: number;
  maxTokens: number;
  limits: BatchLimits;
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
