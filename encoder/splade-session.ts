import type { InferenceSession, Tensor } from "onnxruntime-node";
import { SparseDbError } from "../engine/errors.js";
import type { ModelInput, PooledModel } from "./onnx/append-pooling.js";
import { loadOnnxRuntime, type OnnxRuntime } from "./onnx/onnx-runtime.js";
import { sparsifyRow, type OutputControls } from "./output-controls.js";

export interface BatchLimits {
  /** Most texts per model call. */
  maxBatch: number;
  /** Most padded tokens (texts x longest) per model call. */
  maxBatchTokens: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxBatch: 32, maxBatchTokens: 2048 };

/** A sparse result: term ids increasing, weights beside them. */
export interface SparsePair {
  terms: Uint32Array;
  weights: Float32Array;
}

/**
 * One ONNX Runtime session over a pooled SPLADE model (appendPooling): token ids in, pooled
 * `[batch, vocab]` rows out, sparsified at once so that only the non-zeros are kept.
 */
export class SpladeSession {
  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: InferenceSession,
    private readonly inputs: readonly ModelInput[],
    private readonly outputName: string,
    private readonly padId: number,
    readonly vocabSize: number,
  ) {}

  static async create(model: PooledModel, options: { intraOpThreads: number; padId: number; vocabSize: number; source: string }): Promise<SpladeSession> {
    if (model.vocabSize !== undefined && model.vocabSize !== options.vocabSize) {
      throw new SparseDbError("ENCODER_ERROR", `${options.source} outputs ${model.vocabSize} terms per token but its tokenizer has ${options.vocabSize}; use the tokenizer.json the model was trained with`);
    }
    // Loaded here, not at import: sparsedb works without ONNX Runtime until a SPLADE model is used.
    const ort = await loadOnnxRuntime();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(model.bytes, {
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
    } catch (err) {
      throw new SparseDbError("ENCODER_ERROR", `ONNX Runtime cannot load ${options.source}: ${(err as Error).message}`, { cause: err });
    }
    return new SpladeSession(ort, session, model.inputs, model.outputName, options.padId, options.vocabSize);
  }

  /** Runs one padded batch; returns the pooled rows, [ids.length, vocab] row-major. */
  async runPooled(ids: readonly (readonly number[])[]): Promise<Float32Array> {
    const b = ids.length;
    const s = Math.max(...ids.map((x) => x.length));
    const inputIds = new BigInt64Array(b * s).fill(BigInt(this.padId));
    const mask = new BigInt64Array(b * s);
    ids.forEach((row, i) => {
      for (let j = 0; j < row.length; j++) {
        inputIds[i * s + j] = BigInt(row[j]!);
        mask[i * s + j] = 1n;
      }
    });
    const feeds: Record<string, Tensor> = {};
    for (const name of this.inputs) {
      const data = name === "input_ids" ? inputIds : name === "attention_mask" ? mask : new BigInt64Array(b * s);
      feeds[name] = new this.ort.Tensor("int64", data, [b, s]);
    }
    const out = (await this.session.run(feeds))[this.outputName]!;
    if (out.dims.length !== 2 || out.dims[0] !== b || out.dims[1] !== this.vocabSize) {
      throw new SparseDbError("ENCODER_ERROR", `the model returned shape [${out.dims.join(", ")}], expected [${b}, ${this.vocabSize}] (batch, vocabulary)`);
    }
    return out.data as Float32Array;
  }

  /**
   * Sparse vectors for token-id lists (with [CLS]/[SEP]). Texts are sorted by length and cut
   * into batches under the limits, so that little is padded. `keep[i]`, when given, restricts
   * text i's vector to those term ids (queries without expansion).
   */
  async encode(idLists: readonly (readonly number[])[], limits: BatchLimits, controls: OutputControls, keep?: (ReadonlySet<number> | undefined)[]): Promise<SparsePair[]> {
    const results = new Array<SparsePair>(idLists.length);
    const order = idLists.map((_, i) => i).sort((a, b) => idLists[a]!.length - idLists[b]!.length);
    for (const batch of cutBatches(order.map((i) => idLists[i]!.length), limits)) {
      const members = batch.map((k) => order[k]!);
      const pooled = await this.runPooled(members.map((i) => idLists[i]!));
      members.forEach((textIndex, row) => {
        const allowed = keep?.[textIndex];
        const dense = pooled;
        if (allowed !== undefined) {
          // Zero every term outside the query's own tokens before sparsifying.
          const base = row * this.vocabSize;
          const kept = new Float32Array(this.vocabSize);
          for (const t of allowed) kept[t] = dense[base + t]!;
          results[textIndex] = sparsifyRow(kept, 0, this.vocabSize, controls);
        } else {
          results[textIndex] = sparsifyRow(dense, row * this.vocabSize, this.vocabSize, controls);
        }
      });
    }
    return results;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Cuts lengths sorted ascending into batches (lists of positions): each under maxBatch texts and
 * maxBatchTokens padded tokens, and padding at most a quarter of a batch's tokens.
 */
export function cutBatches(sortedLengths: readonly number[], limits: BatchLimits): number[][] {
  const batches: number[][] = [];
  let cur: number[] = [];
  let sum = 0;
  sortedLengths.forEach((len, k) => {
    const n = cur.length + 1;
    const fits = n <= limits.maxBatch && n * len <= limits.maxBatchTokens && n * len <= 1.25 * (sum + len);
    if (cur.length > 0 && !fits) {
      batches.push(cur);
      cur = [];
      sum = 0;
    }
    cur.push(k);
    sum += len;
  });
  if (cur.length > 0) batches.push(cur);
  return batches;
}
