import { SparseDbError } from "../engine/errors.js";
import type { PooledModel } from "./onnx/append-pooling.js";
import { PooledSession } from "./onnx/pooled-session.js";
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
    private readonly session: PooledSession,
    readonly vocabSize: number,
  ) {}

  static async create(model: PooledModel, options: { intraOpThreads: number; padId: number; vocabSize: number; source: string }): Promise<SpladeSession> {
    if (model.vocabSize !== undefined && model.vocabSize !== options.vocabSize) {
      throw new SparseDbError("ENCODER_ERROR", `${options.source} outputs ${model.vocabSize} terms per token but its tokenizer has ${options.vocabSize}; use the tokenizer.json the model was trained with`);
    }
    const session = await PooledSession.create(model.bytes, { inputs: model.inputs, outputName: model.outputName, intraOpThreads: options.intraOpThreads, padId: options.padId, source: options.source });
    return new SpladeSession(session, options.vocabSize);
  }

  /** Runs one padded batch; returns the pooled rows, [ids.length, vocab] row-major. */
  async runPooled(ids: readonly (readonly number[])[]): Promise<Float32Array> {
    const { data, width } = await this.session.run(ids);
    if (width !== this.vocabSize) {
      throw new SparseDbError("ENCODER_ERROR", `the model returned shape [${ids.length}, ${width}], expected [${ids.length}, ${this.vocabSize}] (batch, vocabulary)`);
    }
    return data;
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
