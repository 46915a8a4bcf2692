import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { decodeModel, encodeModel } from "../../encoder/onnx/onnx-proto.js";
import { builtinTokenizerJson } from "../../encoder/builtin-tokenizer.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEncoder } from "../../encoder/create-encoder.js";
import { SpladeEncoder } from "../../encoder/splade-encoder.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { bertTokenizerPath } from "../../encoder/data-paths.js";
import { tinyShape } from "../../encoder/model-gen/bert-shape.js";
import { defaultHandSetBias } from "../../encoder/model-gen/generate-model.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { asMap, handSetExpected, maxDifference, tempModel } from "./model-fixtures.js";

const BERT = bertTokenizerPath();
const tok = WordPieceTokenizer.builtin();
const V = tok.vocabulary.size;
const handSetDir = tempModel({ size: "tiny", weights: "hand-set" });
const randomDir = tempModel({ size: "tiny", weights: "random", seed: 3, std: 0.5, decoderBias: -0.5 });
const open: SpladeEncoder[] = [];
async function splade(modelDir: string, extra: Record<string, unknown> = {}): Promise<SpladeEncoder> {
  const e = (await createEncoder({ kind: "splade", modelDir, workers: 2, ...extra })) as SpladeEncoder;
  open.push(e);
  return e;
}
afterAll(async () => {
  await Promise.all(open.map((e) => e.close()));
});

describe("SPLADE encoder in a worker pool", () => {
  it("gives the hand-set model's closed-form vectors, and says what it is", async () => {
    const enc = await splade(handSetDir);
    expect(enc.description).toMatch(/^SPLADE .*\(generated, not trained\), max pooling, queries full, 2 workers x 1 thread$/);
    expect(enc.config).toMatchObject({ pooling: "max", queryMode: "full", workers: 2, threadsPerWorker: 1, maxTokens: 512 });
    const texts = SAMPLE_TEXTS.slice(0, 6);
    const vectors = await enc.encodeDocuments([...texts]);
    const H = tinyShape(V).hidden;
    vectors.forEach((v, i) => {
      const expected = handSetExpected(tok.encode(texts[i]!), V, H, defaultHandSetBias(tinyShape(V)));
      expect(maxDifference(asMap(v), expected)).toBeLessThan(1e-4);
      expect(v.nnz).toBe([...expected.values()].filter((w) => w > 0).length);
    });
    const top = enc.decode(vectors[0]!);
    expect(top.map((x) => x.token)).toEqual(expect.arrayContaining(["indonesia", "malaysia", "##uta"]));
    expect(top[0]!.weight).toBeGreaterThanOrEqual(top.at(-1)!.weight);
  });

  it("batches of mixed lengths give the same vectors as one-by-one encoding", async () => {
    const enc = await splade(randomDir, { maxBatch: 8 });
    const texts = [...SAMPLE_TEXTS.slice(0, 24), "bees", "a", SAMPLE_TEXTS.slice(0, 8).join(" "), "honey bees dance"];
    const together = await enc.encodeDocuments(texts);
    const alone: SparseVector[] = [];
    for (const t of texts) alone.push((await enc.encodeDocuments([t]))[0]!);
    together.forEach((v, i) => expect(maxDifference(asMap(v), asMap(alone[i]!))).toBeLessThan(1e-4));
    expect(together.some((v) => v.nnz > 0)).toBe(true);
  });

  it("empty text gives an empty vector; non-string text a clear error", async () => {
    const enc = await splade(handSetDir, { workers: 1 });
    const [a, b, c] = await enc.encodeDocuments(["", "   ", "bees"]);
    expect([a!.nnz, b!.nnz]).toEqual([0, 0]);
    expect(c!.nnz).toBeGreaterThan(0);
    expect((await enc.encodeQuery("")).nnz).toBe(0);
    await expect(enc.encodeDocuments(["ok", 42 as unknown as string])).rejects.toThrow(/text 1 is number 42, not a string/);
    await expect(enc.encodeDocuments("bees" as unknown as string[])).rejects.toThrow(/must be an array of strings/);
    await expect(enc.encodeQuery({} as unknown as string)).rejects.toThrow(/query text is an object/);
  });

  it("a killed worker fails its tasks with an error, is replaced, and the pool does not hang", async () => {
    const enc = await splade(randomDir);
    const texts = Array.from({ length: 400 }, (_, i) => SAMPLE_TEXTS[i % SAMPLE_TEXTS.length]!);
    const pending = enc.encodeDocuments(texts).then(
      () => "done",
      (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
    );
    await enc.workerThreads[0]!.terminate();
    const outcome = await pending;
    expect(outcome).toMatch(/^(done|ENCODER_ERROR: encoder worker died \(.*\); the pool started a new one)/);
    const after = await enc.encodeDocuments(SAMPLE_TEXTS.slice(0, 4));
    expect(after.every((v) => v.nnz > 0)).toBe(true);
    expect(enc.workerThreads.length).toBe(2);
  });

  it("a bounded queue makes callers wait for room, and loses nothing", async () => {
    const small = await splade(randomDir, { maxQueue: 3, maxBatch: 2 });
    const texts = Array.from({ length: 30 }, (_, i) => SAMPLE_TEXTS[(i * 7) % SAMPLE_TEXTS.length]!);
    const [a, b] = await Promise.all([small.encodeDocuments(texts), small.encodeDocuments(texts.slice(0, 5))]);
    const reference = await splade(randomDir, { workers: 1 });
    const expected = await reference.encodeDocuments(texts);
    a.forEach((v, i) => expect(maxDifference(asMap(v), asMap(expected[i]!))).toBeLessThan(1e-4));
    b.forEach((v, i) => expect(maxDifference(asMap(v), asMap(expected[i]!))).toBeLessThan(1e-4));
  });

  it("a cancelled request rejects at once and leaves the pool working", async () => {
    const enc = await splade(randomDir, { workers: 1, maxBatch: 2 });
    const ac = new AbortController();
    const texts = Array.from({ length: 200 }, (_, i) => SAMPLE_TEXTS[i % SAMPLE_TEXTS.length]!);
    const p = enc.encodeDocuments(texts, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: "CANCELLED" });
    expect((await enc.encodeDocuments(["bees"]))[0]!.nnz).toBeGreaterThan(0);
  });

  it("queries: full, without expansion (own tokens only), inference-free (IDF, no model)", async () => {
    const full = await splade(handSetDir, { workers: 1 });
    const noExp = await splade(handSetDir, { workers: 1, queryMode: "no-expansion" });
    const q = "honey bees dance";
    const own = new Set(tok.contentIds(q));
    const fq = await full.encodeQuery(q);
    const nq = await noExp.encodeQuery(q);
    expect([...fq.terms].some((t) => !own.has(t))).toBe(true);
    expect([...nq.terms].sort()).toEqual([...own].sort());
    for (const t of nq.terms) expect(asMap(nq).get(t)).toBeCloseTo(asMap(fq).get(t)!, 6);
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-idf-"));
    writeFileSync(join(dir, "idf.json"), JSON.stringify({ honey: 2, bees: 3 }));
    const inf = await splade(handSetDir, { workers: 1, queryMode: "inference-free", idfPath: join(dir, "idf.json"), topN: 2 });
    expect(inf.decode(await inf.encodeQuery(q))).toEqual([{ token: "bees", weight: 3 }, { token: "honey", weight: 2 }]);
    expect((await inf.encodeDocuments([SAMPLE_TEXTS[0]!]))[0]!.nnz).toBe(2);
  });

  it("clear errors for a bad model folder, a mismatched tokenizer, a bad option", async () => {
    await expect(createEncoder({ kind: "splade", modelDir: "/nonexistent/model" })).rejects.toThrow(/does not exist/);
    const dir = tempModel({ size: "tiny", weights: "hand-set" });
    writeFileSync(join(dir, "config.json"), JSON.stringify({ vocab_size: 587 }));
    await expect(createEncoder({ kind: "splade", modelDir: dir })).rejects.toThrow(/vocab_size 587 but tokenizer\.json has 30522/);
    await expect(createEncoder({ kind: "splade", modelDir: handSetDir, pooling: "mean" as "max" })).rejects.toThrow(/pooling is "mean"/);
    await expect(createEncoder({ kind: "nope" } as never)).rejects.toThrow(/unknown encoder kind "nope"/);
    // An output size only known when the model runs: the worker's error arrives with its code.
    const odd = tempModel({ size: "tiny", weights: "hand-set", padVocabularyTo: V + 8 });
    const model = decodeModel(readFileSync(join(odd, "model.onnx")));
    model.graph!.output![0]!.type!.tensorType!.shape!.dim![2] = { dimParam: "vocab" };
    writeFileSync(join(odd, "model.onnx"), encodeModel(model));
    writeFileSync(join(odd, "tokenizer.json"), JSON.stringify(builtinTokenizerJson()));
    rmSync(join(odd, "config.json"));
    await expect(createEncoder({ kind: "splade", modelDir: odd, workers: 1 })).rejects.toMatchObject({
      code: "ENCODER_ERROR",
      message: expect.stringMatching(new RegExp(`^the model returned shape \\[1, ${V + 8}\\], expected \\[1, ${V}\\]`)),
    });
  });

  it.skipIf(!BERT)("with the real BERT tokenizer: closed-form vector of the orangutan sentence (needs shared data)", async () => {
    const bertTok = WordPieceTokenizer.load(BERT!);
    const dir = tempModel({ size: "tiny", weights: "hand-set", tokenizerPath: BERT! });
    const enc = await splade(dir, { workers: 1 });
    const text = "Orangutans are native to the rainforests of Indonesia and Malaysia";
    const ids = bertTok.encode(text);
    expect(ids).toEqual([101, 2030, 5654, 13210, 3619, 2024, 3128, 2000, 1996, 18951, 2015, 1997, 6239, 1998, 6027, 102]);
    const [v] = await enc.encodeDocuments([text]);
    const shape = tinyShape(30522);
    expect(maxDifference(asMap(v!), handSetExpected(ids, 30522, shape.hidden, defaultHandSetBias(shape)))).toBeLessThan(1e-4);
    expect(enc.decode(v!).map((x) => x.token)).toEqual(expect.arrayContaining(["malaysia", "indonesia", "rainforest"]));
  });
});
