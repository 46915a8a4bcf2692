import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { appendDensePooling } from "../../encoder/onnx/append-dense-pooling.js";
import { decodeModel, encodeModel, FLOAT, INT64, node, valueInfo } from "../../encoder/onnx/onnx-proto.js";
import { DenseSession, normalizeInPlace } from "../../encoder/dense-session.js";
import { PooledSession } from "../../encoder/onnx/pooled-session.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { tinyShape } from "../../encoder/model-gen/bert-shape.js";
import { maxAbsDifference, referenceDensePool, tempModel } from "./model-fixtures.js";

const tok = WordPieceTokenizer.builtin();
const H = tinyShape(tok.vocabulary.size).hidden;
// Random weights with a large spread, so that attention (and hence the mask) matters.
const denseDir = tempModel({ size: "tiny", weights: "random", seed: 11, std: 0.5, head: "none" });
const modelBytes = () => readFileSync(join(denseDir, "model.onnx"));
const texts = [SAMPLE_TEXTS[0]!, "honey bees", SAMPLE_TEXTS[5]!, "a"];

let rawSession: Promise<ort.InferenceSession> | undefined;

/** Each text's last_hidden_state run alone (no padding): the reference the pooled batch must match. */
async function statesAlone(list: string[] = texts): Promise<{ ids: number[]; states: Float32Array }[]> {
  const raw = await (rawSession ??= ort.InferenceSession.create(modelBytes()));
  const out: { ids: number[]; states: Float32Array }[] = [];
  for (const t of list) {
    const ids = tok.encode(t);
    const feed = (f: (j: number) => number) => new ort.Tensor("int64", BigInt64Array.from(ids.map((_, j) => BigInt(f(j)))), [1, ids.length]);
    const r = await raw.run({ input_ids: feed((j) => ids[j]!), attention_mask: feed(() => 1), token_type_ids: feed(() => 0) });
    expect(r.last_hidden_state!.dims).toEqual([1, ids.length, H]);
    out.push({ ids, states: r.last_hidden_state!.data as Float32Array });
  }
  return out;
}

describe("dense pooling appended to a BERT encoder's graph", () => {
  it("a padded batch's mean and CLS vectors equal the TypeScript formula over each text's own states (opsets 17 and 18)", async () => {
    const alone = await statesAlone();
    const v18 = decodeModel(modelBytes());
    v18.opsetImport = [{ domain: "", version: 18 }];
    for (const bytes of [modelBytes(), encodeModel(v18)]) {
      for (const pooling of ["mean", "cls"] as const) {
        const pooled = appendDensePooling(bytes, pooling, "test model");
        expect(pooled.dims).toBe(H);
        const session = await DenseSession.create(pooled, { intraOpThreads: 1, padId: tok.padId, source: "test model" });
        for (const normalize of [false, true]) {
          const got = await session.encode(alone.map((a) => a.ids), { maxBatch: 8, maxBatchTokens: 4096 }, normalize);
          alone.forEach((a, i) => {
            const expected = referenceDensePool(a.states, a.ids.length, H, pooling, normalize);
            expect(maxAbsDifference(got[i]!, expected)).toBeLessThan(1e-4);
          });
        }
        await session.release();
      }
    }
  });

  it("property: any texts, pooling, normalisation and batch limits give the formula over each text alone", async () => {
    const sessions = {
      mean: await DenseSession.create(appendDensePooling(modelBytes(), "mean", "m"), { intraOpThreads: 1, padId: tok.padId, source: "m" }),
      cls: await DenseSession.create(appendDensePooling(modelBytes(), "cls", "m"), { intraOpThreads: 1, padId: tok.padId, source: "m" }),
    };
    const words = "honey bees dance orangutans live in indonesia rainforest the a of , . ! river delta".split(" ");
    const text = fc.array(fc.constantFrom(...words), { maxLength: 30 }).map((w) => w.join(" "));
    await fc.assert(
      fc.asyncProperty(
        fc.array(text, { minLength: 1, maxLength: 8 }),
        fc.constantFrom<"mean" | "cls">("mean", "cls"),
        fc.boolean(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 2, max: 200 }),
        async (list, pooling, normalize, maxBatch, maxBatchTokens) => {
          const alone = await statesAlone(list);
          const got = await sessions[pooling].encode(alone.map((a) => a.ids), { maxBatch, maxBatchTokens }, normalize);
          alone.forEach((a, i) => expect(maxAbsDifference(got[i]!, referenceDensePool(a.states, a.ids.length, H, pooling, normalize))).toBeLessThan(1e-4));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("mean pooling ignores padding: a short text padded in a batch gets its vector alone", async () => {
    const pooled = appendDensePooling(modelBytes(), "mean", "m");
    // PooledSession runs exactly the batch it is given (DenseSession would not pad this much).
    const session = await PooledSession.create(pooled.bytes, { inputs: pooled.inputs, outputName: pooled.outputName, intraOpThreads: 1, padId: tok.padId, source: "m" });
    const short = tok.encode("honey bees");
    const both = await session.run([short, tok.encode(SAMPLE_TEXTS[3]!)]);
    const single = await session.run([short]);
    expect(both.width).toBe(H);
    expect(maxAbsDifference(both.data.subarray(0, H), single.data)).toBeLessThan(1e-5);
    // The padded positions' states are not zero: a mean over all positions would differ.
    const raw = await ort.InferenceSession.create(modelBytes());
    const long = tok.encode(SAMPLE_TEXTS[3]!);
    const feed = (f: (j: number) => number) => new ort.Tensor("int64", BigInt64Array.from(long.map((_, j) => BigInt(f(j)))), [1, long.length]);
    const r = await raw.run({ input_ids: feed((j) => short[j] ?? tok.padId), attention_mask: feed((j) => (j < short.length ? 1 : 0)), token_type_ids: feed(() => 0) });
    const unmasked = referenceDensePool(r.last_hidden_state!.data as Float32Array, long.length, H, "mean", false);
    expect(maxAbsDifference(unmasked, single.data)).toBeGreaterThan(1e-2);
  });

  it("normalisation divides by the L2 norm and leaves a zero vector zero", () => {
    expect([...normalizeInPlace(Float32Array.from([3, 4]))]).toEqual([0.6000000238418579, 0.800000011920929]);
    expect([...normalizeInPlace(new Float32Array(3))]).toEqual([0, 0, 0]);
  });

  it("refuses models without last_hidden_state, of the wrong rank, with unknown inputs, and a bad pooling", () => {
    const tiny = (outputs: ReturnType<typeof valueInfo>[], inputs = ["input_ids"]) =>
      encodeModel({
        irVersion: 8,
        opsetImport: [{ domain: "", version: 17 }],
        graph: {
          name: "g",
          node: outputs.map((o) => node("Cast", ["input_ids"], [o.name!], { to: FLOAT })),
          input: inputs.map((n) => valueInfo(n, INT64, ["batch", "sequence"])),
          output: outputs,
        },
      });
    expect(() => appendDensePooling(tiny([valueInfo("logits", FLOAT, ["batch", "sequence", 9]), valueInfo("pooler_output", FLOAT, ["batch", 9])]), "mean", "m.onnx")).toThrow(
      /m\.onnx has no output "last_hidden_state" \(its outputs: "logits", "pooler_output"\).*feature-extraction/,
    );
    expect(() => appendDensePooling(tiny([valueInfo("last_hidden_state", FLOAT, ["batch", 9])]), "cls", "m.onnx")).toThrow(/has rank 2; a dense encoder needs \[batch, tokens, hidden\]/);
    expect(() => appendDensePooling(tiny([valueInfo("last_hidden_state", FLOAT, ["b", "s", 9])], ["input_ids", "pixel_values"]), "mean", "m.onnx")).toThrow(/input "pixel_values".*BERT-style encoder/);
    expect(() => appendDensePooling(new Uint8Array([1, 2, 3, 255]), "mean", "junk.onnx")).toThrow(/not an ONNX model/);
    expect(() => appendDensePooling(modelBytes(), "max" as "mean", "m.onnx")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/pooling is "max"; use "mean".*or "cls"/) }));
  });
});
