import { afterAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { createDenseEncoder, createEncoder, type DenseEncoder } from "../../encoder/index.js";
import { OnnxDenseEncoder } from "../../encoder/dense-encoder.js";
import { handSetEmbedding } from "../../encoder/model-gen/weights.js";
import { tinyShape } from "../../encoder/model-gen/bert-shape.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { maxAbsDifference, referenceDensePool, tempModel } from "./model-fixtures.js";

const tok = WordPieceTokenizer.builtin();
const H = tinyShape(tok.vocabulary.size).hidden;
const handSetDir = tempModel({ size: "tiny", weights: "hand-set", head: "none" });
const randomDir = tempModel({ size: "tiny", weights: "random", seed: 5, std: 0.5, head: "none" });
const spladeDir = tempModel({ size: "tiny", weights: "hand-set" });
const open: DenseEncoder[] = [];
async function dense(modelDir: string, extra: Record<string, unknown> = {}): Promise<DenseEncoder> {
  const e = await createDenseEncoder({ kind: "dense", modelDir, workers: 1, threadsPerWorker: 1, ...extra });
  open.push(e);
  return e;
}
afterAll(async () => {
  await Promise.all(open.map((e) => e.close()));
});

/** The hand-set model's vector in closed form: every token's state is its +1/-1 embedding. */
function handSetVector(text: string, pooling: "mean" | "cls", normalize: boolean): Float64Array {
  const ids = tok.encode(text);
  const states = new Float32Array(ids.length * H);
  ids.forEach((id, t) => states.set(handSetEmbedding(id, H), t * H));
  return referenceDensePool(states, ids.length, H, pooling, normalize);
}

/** The random model's vector: the JS formula over last_hidden_state of the text run alone. */
let rawSession: Promise<ort.InferenceSession> | undefined;
async function rawVector(text: string, pooling: "mean" | "cls", normalize: boolean): Promise<Float64Array> {
  const raw = await (rawSession ??= ort.InferenceSession.create(readFileSync(join(randomDir, "model.onnx"))));
  const ids = tok.encode(text);
  const feed = (f: (j: number) => number) => new ort.Tensor("int64", BigInt64Array.from(ids.map((_, j) => BigInt(f(j)))), [1, ids.length]);
  const r = await raw.run({ input_ids: feed((j) => ids[j]!), attention_mask: feed(() => 1), token_type_ids: feed(() => 0) });
  return referenceDensePool(r.last_hidden_state!.data as Float32Array, ids.length, H, pooling, normalize);
}

describe("dense encoder (ONNX, in the encoder worker pool)", () => {
  it("gives the hand-set model's closed-form vectors for mean and CLS pooling, normalised or not, and says what it is", async () => {
    const texts = [...SAMPLE_TEXTS.slice(0, 5), "bees", ""];
    for (const pooling of ["mean", "cls"] as const) {
      for (const normalize of [true, false]) {
        const enc = await dense(handSetDir, { pooling, normalize });
        expect(enc.dims).toBe(H);
        expect(enc.config).toMatchObject({ kind: "dense", pooling, normalize, maxTokens: 512, workers: 1, threadsPerWorker: 1, queryPrefix: "", documentPrefix: "" });
        expect(enc.description).toBe(`dense ${handSetDir} (generated, not trained), ${pooling} pooling, ${normalize ? "normalized" : "not normalized"}, ${H} dims, 1 worker x 1 thread`);
        const vectors = await enc.encode(texts, "document");
        vectors.forEach((v, i) => {
          expect(v).toBeInstanceOf(Float32Array);
          expect(maxAbsDifference(v, handSetVector(texts[i]!, pooling, normalize))).toBeLessThan(1e-5);
        });
        if (normalize) for (const v of vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
        await enc.close();
      }
    }
    // CLS pooling gives [CLS]'s own embedding whatever the text.
    const cls = await dense(handSetDir, { pooling: "cls", normalize: false });
    expect([...(await cls.encodeQuery("anything at all"))]).toEqual([...handSetEmbedding(tok.vocabulary.idOf("[CLS]")!, H)]);
  });

  it("with random weights (attention matters), batches of mixed lengths equal the formula over each text run alone, and one-at-a-time encoding", async () => {
    const enc = await dense(randomDir, { maxBatch: 4, workers: 2 });
    const texts = [...SAMPLE_TEXTS.slice(0, 10), "bees", "a", SAMPLE_TEXTS.slice(0, 4).join(" "), "honey bees dance"];
    const together = await enc.encode(texts, "document");
    const alone: Float32Array[] = [];
    for (const t of texts) alone.push((await enc.encode([t], "document"))[0]!);
    for (let i = 0; i < texts.length; i++) {
      expect(maxAbsDifference(together[i]!, alone[i]!)).toBeLessThan(1e-5);
      expect(maxAbsDifference(together[i]!, await rawVector(texts[i]!, "mean", true))).toBeLessThan(1e-4);
    }
    // Different texts give different vectors (the check above could not pass with a constant).
    expect(maxAbsDifference(together[0]!, together[1]!)).toBeGreaterThan(1e-2);
  });

  it("puts the role's prefix before the text", async () => {
    const enc = await dense(randomDir, { queryPrefix: "query: ", documentPrefix: "passage: " });
    const plain = await dense(randomDir);
    const [q] = await enc.encode(["honey bees"], "query");
    const [d] = await enc.encode(["honey bees"], "document");
    expect(maxAbsDifference(q!, (await plain.encode(["query: honey bees"], "document"))[0]!)).toBeLessThan(1e-6);
    expect(maxAbsDifference(d!, (await plain.encode(["passage: honey bees"], "document"))[0]!)).toBeLessThan(1e-6);
    expect(maxAbsDifference(await enc.encodeQuery("honey bees"), q!)).toBe(0);
    await expect(enc.encode(["x"], "passage" as "document")).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/role is "passage"/) });
  });

  it("a bounded queue loses nothing; a cancelled request rejects at once and leaves the pool working; a closed encoder says so", async () => {
    const enc = await dense(randomDir, { maxQueue: 3, maxBatch: 2 });
    const texts = Array.from({ length: 30 }, (_, i) => SAMPLE_TEXTS[(i * 7) % SAMPLE_TEXTS.length]!);
    const [a, b] = await Promise.all([enc.encode(texts, "document"), enc.encode(texts.slice(0, 5), "document")]);
    const expected = await (await dense(randomDir)).encode(texts, "document");
    a.forEach((v, i) => expect(maxAbsDifference(v, expected[i]!)).toBeLessThan(1e-5));
    b.forEach((v, i) => expect(maxAbsDifference(v, expected[i]!)).toBeLessThan(1e-5));

    const ac = new AbortController();
    const p = enc.encode(Array.from({ length: 200 }, (_, i) => SAMPLE_TEXTS[i % SAMPLE_TEXTS.length]!), "document", { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: "CANCELLED" });
    expect((await enc.encode(["bees"], "document"))[0]!.length).toBe(H);
    await enc.close();
    await expect(enc.encode(["bees"], "document")).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("a killed worker fails its task with an error, is replaced, and the pool goes on", async () => {
    const enc = (await dense(randomDir)) as OnnxDenseEncoder;
    const pending = enc.encode(Array.from({ length: 300 }, (_, i) => SAMPLE_TEXTS[i % SAMPLE_TEXTS.length]!), "document").then(
      () => "done",
      (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
    );
    await enc.workerThreads[0]!.terminate();
    expect(await pending).toMatch(/^(done|ENCODER_ERROR: encoder worker died \(.*\); the pool started a new one)/);
    expect((await enc.encode(["bees", "honey"], "document")).map((v) => v.length)).toEqual([H, H]);
  });

  it("bad input: missing folder, a model without last_hidden_state, wrong pooling and options, non-string text", async () => {
    await expect(createDenseEncoder({ kind: "dense", modelDir: "/nonexistent/dense" })).rejects.toMatchObject({ code: "ENCODER_FILE_NOT_FOUND", message: expect.stringMatching(/does not exist/) });
    await expect(createDenseEncoder({ kind: "dense", modelDir: spladeDir, workers: 1 })).rejects.toMatchObject({
      code: "ENCODER_ERROR",
      message: expect.stringMatching(/has no output "last_hidden_state" \(its outputs: "logits"\).*--task feature-extraction/),
    });
    const bad = (extra: Record<string, unknown>) => createDenseEncoder({ kind: "dense", modelDir: handSetDir, workers: 1, ...extra } as never);
    await expect(bad({ pooling: "max" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/pooling is "max"; use "mean" \(default\) or "cls"/) });
    await expect(bad({ normalize: "yes" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/normalize is "yes"/) });
    await expect(bad({ maxBatch: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/maxBatch is 0; it must be an integer >= 1/) });
    await expect(bad({ modelPath: "x" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/unknown key "modelPath"; known keys: kind, modelDir/) });
    await expect(bad({ modelDir: 7 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/modelDir must be the path of a model folder/) });
    await expect(bad({ maxTokens: 600 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/maxTokens is 600 but .*config\.json says the model has 512 positions/) });
    await expect(createEncoder({ kind: "dense", modelDir: handSetDir } as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/createDenseEncoder/) });
    // A config.json whose hidden_size disagrees with the graph.
    const mixed = tempModel({ size: "tiny", weights: "hand-set", head: "none" });
    const config = JSON.parse(readFileSync(join(mixed, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(mixed, "config.json"), JSON.stringify({ ...config, hidden_size: 384 }));
    await expect(createDenseEncoder({ kind: "dense", modelDir: mixed, workers: 1 })).rejects.toThrow(/hidden_size 384 but .* outputs 32 values per token/);

    const enc = await dense(handSetDir);
    await expect(enc.encode(["ok", 42 as unknown as string], "document")).rejects.toThrow(/text 1 is number 42, not a string/);
    await expect(enc.encodeQuery({} as unknown as string)).rejects.toThrow(/query text is an object/);
  });
});
