import { SparseDbError } from "../engine/errors.js";
import type { DensePooledModel } from "./onnx/append-dense-pooling.js";
import { PooledSession } from "./onnx/pooled-session.js";
import { cutBatches, type BatchLimits } from "./splade-session.js";

/**
 * One ONNX Runtime session over a pooled dense encoder (appendDensePooling): token ids in, one
 * `[hidden]` vector per text out, L2-normalised when asked.
 */
export class DenseSession {
  private constructor(
    private readonly session: PooledSession,
    private readonly source: string,
    private dims: number | undefined,
  ) {}

  static async create(model: DensePooledModel, options: { intraOpThreads: number; padId: number; source: string }): Promise<DenseSession> {
    const session = await PooledSession.create(model.bytes, { inputs: model.inputs, outputName: model.outputName, intraOpThreads: options.intraOpThreads, padId: options.padId, source: options.source });
    return new DenseSession(session, options.source, model.dims);
  }

  /**
   * Vectors for token-id lists (with [CLS]/[SEP]), in input order. Texts are sorted by length
   * and cut into batches under the limits, so that little is padded.
   */
  async encode(idLists: readonly (readonly number[])[], limits: BatchLimits, normalize: boolean): Promise<Float32Array[]> {
    const results = new Array<Float32Array>(idLists.length);
    const order = idLists.map((_, i) => i).sort((a, b) => idLists[a]!.length - idLists[b]!.length);
    for (const batch of cutBatches(order.map((i) => idLists[i]!.length), limits)) {
      const members = batch.map((k) => order[k]!);
      const { data, width } = await this.session.run(members.map((i) => idLists[i]!));
      this.dims ??= width;
      if (width !== this.dims) {
        throw new SparseDbError("ENCODER_ERROR", `${this.source} returned vectors of ${width} values, but its graph declares (or an earlier batch gave) ${this.dims}`);
      }
      members.forEach((textIndex, row) => {
        const v = data.slice(row * width, (row + 1) * width);
        if (normalize) normalizeInPlace(v);
        results[textIndex] = v;
      });
    }
    return results;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Divides v by its L2 norm (summed in float64); a zero vector stays zero, as torch's
 * F.normalize (eps 1e-12) leaves it.
 */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  const norm = Math.max(Math.sqrt(sq), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}
