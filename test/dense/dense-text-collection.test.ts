import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database, type CollectionConfig } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { createDenseEncoder, type DenseEncoder } from "../../encoder/index.js";
import { loadOnnxRuntime } from "../../encoder/onnx/onnx-runtime.js";
import { tinyShape } from "../../encoder/model-gen/bert-shape.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { maxAbsDifference, tempModel } from "../encoder/model-fixtures.js";

/**
 * A collection whose dense config names a dense text encoder (a small generated ONNX model): text
 * upserts get their dense vectors from it, text searches their dense query, through the library
 * and through a server; the model folder is recorded as a SPLADE one is (absolute, not copied).
 */
const hasOnnx = await import("onnxruntime-node").then(() => true, () => false);
const DIMS = tinyShape(WordPieceTokenizer.builtin().vocabulary.size).hidden;
const TEXTS = ["glacier ice melt in the alps", "desert sand dunes", "ice sheet of the glacier", "rock climbing in the desert", "sea ice and polar bears"];

describe.skipIf(!hasOnnx)("dense vectors from text", () => {
  const modelDir = tempModel({ size: "tiny", weights: "random", seed: 7, std: 0.5, head: "none" });
  const spladeDir = tempModel({ size: "tiny", weights: "hand-set" });
  const encoderConfig = { kind: "dense" as const, modelDir, pooling: "mean" as const, workers: 1, threadsPerWorker: 1 };
  const config: CollectionConfig = { dense: { dims: DIMS, metric: "dot", index: "flat", encoder: encoderConfig } };
  let root: string;
  let db: Database;
  let direct: DenseEncoder;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sparsedb-dense-text-"));
    db = await Database.open(join(root, "db"));
    direct = await createDenseEncoder(encoderConfig);
    const c = await db.createCollection("docs", config);
    await c.upsert(TEXTS.map((text, i) => ({ id: `d${i}`, text })));
  });
  afterAll(async () => {
    await direct?.close();
    await db?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("a text upsert stores the dense vector the encoder gives the text directly", async () => {
    const c = await db.collection("docs");
    const expected = await direct.encode(TEXTS, "document");
    for (let i = 0; i < TEXTS.length; i++) {
      const doc = await c.get(`d${i}`);
      expect(doc!.dense!.length).toBe(DIMS);
      expect(maxAbsDifference(doc!.dense!, expected[i]!)).toBeLessThan(1e-5);
    }
  });

  it("a document that brings its own dense vector keeps it", async () => {
    const c = await db.collection("docs");
    const own = Float32Array.from({ length: DIMS }, (_, i) => (i === 0 ? 1 : 0));
    await c.upsert([{ id: "own", text: "glacier", dense: own }]);
    expect(Array.from((await c.get("own"))!.dense!)).toEqual(Array.from(own));
    await c.delete(["own"]);
  });

  it("a text search equals the search with the explicitly encoded sparse and dense queries, for the default and a given fusion", async () => {
    const c = await db.collection("docs");
    for (const query of ["glacier ice", "desert"]) {
      const sparse = await c.encoder!.encodeQuery(query);
      const dense = await direct.encodeQuery(query);
      for (const fusion of [undefined, "dbsf" as const]) {
        const fromText = await c.search({ text: query, k: 5, explain: true, ...(fusion === undefined ? {} : { fusion }) });
        const explicit = await c.search({ vector: sparse, dense, k: 5, explain: true, ...(fusion === undefined ? {} : { fusion }) });
        expect(fromText.map((h) => h.id)).toEqual(explicit.map((h) => h.id));
        fromText.forEach((h, i) => expect(h.score).toBeCloseTo(explicit[i]!.score, 5));
        expect(fromText[0]!.legs).toBeDefined(); // both legs ran
      }
      // `vector` alone stays a sparse-only search.
      const sparseOnly = await c.search({ vector: sparse, k: 5, explain: true });
      expect(sparseOnly.every((h) => h.legs === undefined)).toBe(true);
    }
  });

  it("records the model folder by absolute path and encodes the same after a reopen", async () => {
    const before = await (await db.collection("docs")).search({ text: "glacier ice", k: 5 });
    await db.close();
    db = await Database.open(join(root, "db"));
    const info = db.listCollections().find((x) => x.name === "docs")!;
    expect(info.config.dense!.encoder).toMatchObject({ kind: "dense", modelDir, pooling: "mean", normalize: true });
    const c = await db.collection("docs");
    expect(await c.stats()).toMatchObject({ denseEncoder: expect.stringContaining("mean pooling") });
    const after = await c.search({ text: "glacier ice", k: 5 });
    expect(after.map((h) => h.id)).toEqual(before.map((h) => h.id));
    await c.upsert([{ id: "new", text: "fresh glacier ice" }]);
    const [expected] = await direct.encode(["fresh glacier ice"], "document");
    expect(maxAbsDifference((await c.get("new"))!.dense!, expected!)).toBeLessThan(1e-5);
    await c.delete(["new"]);
  });

  it("a relative modelDir is recorded resolved against the working folder", async () => {
    const c = await db.createCollection("relative", { dense: { dims: DIMS, encoder: { ...encoderConfig, modelDir: relative(process.cwd(), modelDir) } } });
    expect(c.config.dense!.encoder!.modelDir).toBe(modelDir);
    expect(db.listCollections().find((x) => x.name === "relative")!.config.dense!.encoder!.modelDir).toBe(modelDir);
    await db.dropCollection("relative");
  });

  it("refuses dims that are not the model's, a folder that is not a dense model, and a missing folder, creating nothing", async () => {
    await expect(db.createCollection("wrong", { dense: { dims: DIMS + 1, encoder: encoderConfig } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining(`dims is ${DIMS + 1} but the dense encoder's model (${modelDir}) gives vectors of ${DIMS} values; use dims ${DIMS}`),
    });
    await expect(db.createCollection("splade", { dense: { dims: DIMS, encoder: { ...encoderConfig, modelDir: spladeDir } } })).rejects.toMatchObject({
      code: "ENCODER_ERROR",
      message: expect.stringContaining('has no output "last_hidden_state"'),
    });
    await expect(db.createCollection("missing", { dense: { dims: DIMS, encoder: { ...encoderConfig, modelDir: join(root, "nowhere") } } })).rejects.toMatchObject({
      code: "ENCODER_FILE_NOT_FOUND",
    });
    await expect(db.createCollection("kind", { dense: { dims: DIMS, encoder: { kind: "splade", modelDir } as never } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining('encoder must be {kind: "dense", modelDir'),
    });
    for (const name of ["wrong", "splade", "missing", "kind"]) expect(db.hasCollection(name)).toBe(false);
  });

  it("a missing onnxruntime-node gives the SPLADE install hint", async () => {
    const other = await Database.open(join(root, "no-runtime"), {
      createDenseEncoder: async () => {
        await loadOnnxRuntime(`onnxruntime-node-absent-${process.pid}`);
        throw new Error("unreachable");
      },
    });
    try {
      await expect(other.createCollection("docs", config)).rejects.toMatchObject({ code: "ENCODER_ERROR", message: expect.stringContaining("npm install onnxruntime-node") });
      expect(other.hasCollection("docs")).toBe(false);
    } finally {
      await other.close();
    }
  });

  it("over the wire: the server encodes text upserts and text searches with the collection's dense encoder", async () => {
    const server = await SparseServer.listen(db, { port: 0 });
    const client = await SparseClient.connect({ port: server.port });
    try {
      const remote = await client.collection("docs");
      await remote.upsert([{ id: "wire", text: "polar glacier ice" }]);
      const [expected] = await direct.encode(["polar glacier ice"], "document");
      expect(maxAbsDifference((await remote.get("wire"))!.dense!, expected!)).toBeLessThan(1e-5);
      const local = await db.collection("docs");
      for (const request of [{ text: "glacier ice", k: 4 }, { text: "glacier ice", k: 4, fusion: "dbsf" as const, prefetch: 10 }]) {
        const overWire = await remote.search(request);
        const inProcess = await local.search(request);
        expect(overWire.map((h) => h.id)).toEqual(inProcess.map((h) => h.id));
        overWire.forEach((h, i) => expect(h.score).toBeCloseTo(inProcess[i]!.score, 5));
      }
      const [batched] = await remote.searchBatch([{ text: "glacier ice", k: 4, fusion: "dbsf" }]);
      expect(batched!.map((h) => h.id)).toEqual((await local.search({ text: "glacier ice", k: 4, fusion: "dbsf" })).map((h) => h.id));
      await remote.delete(["wire"]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
