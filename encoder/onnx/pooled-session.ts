import type { InferenceSession, Tensor } from "onnxruntime-node";
import { SparseDbError } from "../../engine/errors.js";
import type { ModelInput } from "./graph-edit.js";
import { loadOnnxRuntime, type OnnxRuntime } from "./onnx-runtime.js";

export interface PooledSessionOptions {
  /** The inputs the model takes; input_ids, attention_mask and token_type_ids (zeros) are fed. */
  inputs: readonly ModelInput[];
  /** Its one rank-2 output, [batch, width]. */
  outputName: string;
  intraOpThreads: number;
  padId: number;
  /** Names the model in errors. */
  source: string;
}

/**
 * One ONNX Runtime session over a model whose pooling is in the graph (appendPooling,
 * appendDensePooling): padded token-id batches in, `[batch, width]` rows out.
 */
export class PooledSession {
  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: InferenceSession,
    private readonly options: PooledSessionOptions,
  ) {}

  static async create(bytes: Uint8Array, options: PooledSessionOptions): Promise<PooledSession> {
    // Loaded here, not at import: sparsedb works without ONNX Runtime until a model is used.
    const ort = await loadOnnxRuntime();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
    } catch (err) {
      throw new SparseDbError("ENCODER_ERROR", `ONNX Runtime cannot load ${options.source}: ${(err as Error).message}`, { cause: err });
    }
    return new PooledSession(ort, session, options);
  }

  /** Runs one padded batch; returns its rows, [ids.length, width] row-major. */
  async run(ids: readonly (readonly number[])[]): Promise<{ data: Float32Array; width: number }> {
    const b = ids.length;
    const s = Math.max(...ids.map((x) => x.length));
    const inputIds = new BigInt64Array(b * s).fill(BigInt(this.options.padId));
    const mask = new BigInt64Array(b * s);
    ids.forEach((row, i) => {
      for (let j = 0; j < row.length; j++) {
        inputIds[i * s + j] = BigInt(row[j]!);
        mask[i * s + j] = 1n;
      }
    });
    const feeds: Record<string, Tensor> = {};
    for (const name of this.options.inputs) {
      const data = name === "input_ids" ? inputIds : name === "attention_mask" ? mask : new BigInt64Array(b * s);
      feeds[name] = new this.ort.Tensor("int64", data, [b, s]);
    }
    const out = (await this.session.run(feeds))[this.options.outputName]!;
    if (out.dims.length !== 2 || out.dims[0] !== b) {
      throw new SparseDbError("ENCODER_ERROR", `${this.options.source} returned shape [${out.dims.join(", ")}] for ${b} texts, expected [${b}, width]`);
    }
    return { data: out.data as Float32Array, width: Number(out.dims[1]) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
