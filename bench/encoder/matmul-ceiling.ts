import ort from "onnxruntime-node";
import { encodeModel, FLOAT, node, tensor, valueInfo } from "../../encoder/onnx/onnx-proto.js";

/**
 * What one float32 MatMul reaches in ONNX Runtime on this machine, in GFLOP/s: the ceiling for
 * a transformer's throughput. Shape [m, k] x [k, n], by default a BERT-base feed-forward layer
 * over 1024 tokens; the best of three one-second windows.
 */
export async function matmulGflops(threads: number, m = 1024, k = 768, n = 3072, windows = 3): Promise<number> {
  const b = new Float32Array(k * n).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const model = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "matmul",
      node: [node("MatMul", ["a", "b"], ["c"])],
      initializer: [tensor("b", [k, n], b)],
      input: [valueInfo("a", FLOAT, [m, k])],
      output: [valueInfo("c", FLOAT, [m, n])],
    },
  });
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" });
  const a = new ort.Tensor("float32", new Float32Array(m * k).fill(0.5), [m, k]);
  for (let i = 0; i < 3; i++) await session.run({ a });
  let best = 0;
  for (let w = 0; w < windows; w++) {
    let runs = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) {
      await session.run({ a });
      runs++;
    }
    best = Math.max(best, (2 * m * k * n * runs) / ((performance.now() - t0) / 1000) / 1e9);
  }
  await session.release();
  return best;
}
