import { describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { appendPooling } from "../../encoder/onnx/append-pooling.js";
import { decodeModel, encodeModel, FLOAT, INT64, node, valueInfo } from "../../encoder/onnx/onnx-proto.js";
import { resolveModelFolder } from "../../encoder/model-folder.js";
import { SpladeSession, cutBatches } from "../../encoder/splade-session.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { referencePool, tempModel } from "./model-fixtures.js";

const tok = WordPieceTokenizer.builtin();
const V = tok.vocabulary.size;
// Random weights with a large spread, so that attention (and hence the mask) matters.
const randomDir = tempModel({ size: "tiny", weights: "random", seed: 7, std: 0.5, decoderBias: 0 });
const modelBytes = () => readFileSync(join(randomDir, "model.onnx"));
const session = (bytes: Uint8Array, pooling: "max" | "sum" = "max") =>
  SpladeSession.create(appendPooling(bytes, pooling, "test model"), { intraOpThreads: 1, padId: tok.padId, vocabSize: V, source: "test model" });

function padded(texts: string[]) {
  const ids = texts.map((t) => tok.encode(t));
  const seq = Math.max(...ids.map((x) => x.length));
  const mask = ids.map((x) => Array.from({ length: seq }, (_, j) => (j < x.length ? 1 : 0)));
  const flat = (f: (row: number[], j: number) => number) => BigInt64Array.from(ids.flatMap((row) => Array.from({ length: seq }, (_, j) => BigInt(f(row, j)))));
  return { ids, seq, mask, feeds: {
    input_ids: new ort.Tensor("int64", flat((row, j) => row[j] ?? tok.padId), [ids.length, seq]),
    attention_mask: new ort.Tensor("int64", flat((row, j) => (j < row.length ? 1 : 0)), [ids.length, seq]),
    token_type_ids: new ort.Tensor("int64", flat(() => 0), [ids.length, seq]),
  } };
}

describe("generated BERT model and pooling in the graph", () => {
  it("pooled output equals the JS formula applied to the raw logits (max and sum, padded batch)", async () => {
    const texts = [SAMPLE_TEXTS[0]!, "honey bees", SAMPLE_TEXTS[5]!];
    const { ids, seq, mask, feeds } = padded(texts);
    const raw = await ort.InferenceSession.create(modelBytes());
    const logits = (await raw.run(feeds)).logits!;
    expect(logits.dims).toEqual([3, seq, V]);
    for (const pooling of ["max", "sum"] as const) {
      const expected = referencePool(logits.data as Float32Array, 3, seq, V, mask, pooling);
      const pooled = await (await session(modelBytes(), pooling)).runPooled(ids);
      expect(pooled.length).toBe(3 * V);
      let maxErr = 0;
      for (let i = 0; i < pooled.length; i++) maxErr = Math.max(maxErr, Math.abs(pooled[i]! - expected[i]!) / Math.max(1, expected[i]!));
      expect(maxErr).toBeLessThan(1e-5);
    }
  });

  it("a padded text gets the same vector as alone (the attention mask works)", async () => {
    const s = await session(modelBytes());
    const both = await s.runPooled([tok.encode("honey bees"), tok.encode(SAMPLE_TEXTS[3]!)]);
    const alone = await s.runPooled([tok.encode("honey bees")]);
    let maxErr = 0;
    for (let j = 0; j < V; j++) maxErr = Math.max(maxErr, Math.abs(both[j]! - alone[j]!));
    expect(maxErr).toBeLessThan(1e-4);
  });

  it("pooling works with opset 18's ReduceMax (axes as an input), and a pooled model is used as it is", async () => {
    const model = decodeModel(modelBytes());
    model.opsetImport = [{ domain: "", version: 18 }];
    const v18 = encodeModel(model);
    const ids = [tok.encode(SAMPLE_TEXTS[2]!)];
    const a = await (await session(modelBytes())).runPooled(ids);
    const b = await (await session(v18)).runPooled(ids);
    const once = appendPooling(modelBytes(), "max", "m");
    const twice = appendPooling(once.bytes, "max", "m");
    expect(twice.alreadyPooled).toBe(true);
    expect(twice.bytes).toBe(once.bytes);
    const c = await (await session(twice.bytes)).runPooled(ids);
    for (let j = 0; j < V; j++) {
      expect(b[j]).toBeCloseTo(a[j]!, 5);
      expect(c[j]).toBeCloseTo(a[j]!, 5);
    }
  });

  it("rejects models whose outputs or inputs do not fit, with a clear error", () => {
    const tiny = (output: ReturnType<typeof valueInfo>, inputs = ["input_ids"]) =>
      encodeModel({
        irVersion: 8,
        opsetImport: [{ domain: "", version: 17 }],
        graph: {
          name: "g",
          node: [node("Cast", ["input_ids"], [output.name!], { to: FLOAT })],
          input: inputs.map((n) => valueInfo(n, INT64, ["batch", "sequence"])),
          output: [output],
        },
      });
    expect(() => appendPooling(tiny(valueInfo("hidden", FLOAT, ["batch", "sequence", 8, 4])), "max", "m.onnx")).toThrow(/output "hidden" has rank 4.*MLM logits/);
    expect(() => appendPooling(tiny(valueInfo("x", FLOAT, ["batch", "sequence"]), ["input_ids", "pixel_values"]), "max", "m.onnx")).toThrow(/input "pixel_values"/);
    expect(() => appendPooling(new Uint8Array([1, 2, 3, 255]), "max", "junk.onnx")).toThrow(/not an ONNX model/);
    const wrongVocab = appendPooling(tiny(valueInfo("logits", FLOAT, ["batch", "sequence", V + 1])), "max", "m.onnx");
    return expect(SpladeSession.create(wrongVocab, { intraOpThreads: 1, padId: 0, vocabSize: V, source: "m.onnx" })).rejects.toThrow(new RegExp(`outputs ${V + 1} terms per token but its tokenizer has ${V}`));
  });

  it("finds model.onnx or onnx/model.onnx and names missing files", () => {
    const dir = tempModel({ size: "tiny", weights: "hand-set", onnxSubfolder: true });
    expect(resolveModelFolder(dir).modelPath).toBe(join(dir, "onnx", "model.onnx"));
    expect(resolveModelFolder(dir).config?.vocab_size).toBe(V);
    rmSync(join(dir, "tokenizer.json"));
    expect(() => resolveModelFolder(dir)).toThrow(/lacks tokenizer\.json/);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(() => resolveModelFolder(empty)).toThrow(/lacks model\.onnx \(or onnx\/model\.onnx\) and tokenizer\.json/);
    expect(() => resolveModelFolder(join(dir, "nope"))).toThrow(/does not exist.*model pull/);
  });

  it("cuts sorted lengths into batches under the limits with little padding", () => {
    expect(cutBatches([3, 3, 4, 4, 100, 100], { maxBatch: 3, maxBatchTokens: 1000 })).toEqual([[0, 1, 2], [3], [4, 5]]);
    expect(cutBatches([10, 10, 10], { maxBatch: 8, maxBatchTokens: 20 })).toEqual([[0, 1], [2]]);
  });
});
