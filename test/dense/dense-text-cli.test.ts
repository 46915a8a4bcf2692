import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";
import { createDenseEncoder, generateModelFolder } from "../../encoder/index.js";
import { tinyShape } from "../../encoder/model-gen/bert-shape.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { maxAbsDifference } from "../encoder/model-fixtures.js";
import { sparsedb } from "../cli/cli-harness.js";

/** The CLI's --dense-model flags: a collection that encodes dense vectors from text, by `collections create` or `ingest`. */
const hasOnnx = await import("onnxruntime-node").then(() => true, () => false);
const DIMS = tinyShape(WordPieceTokenizer.builtin().vocabulary.size).hidden;
const LINES = [
  { id: "a", text: "glacier ice melt" },
  { id: "b", text: "desert sand dunes" },
  { id: "c", text: "ice sheet glacier" },
];

describe.skipIf(!hasOnnx)("the CLI with a dense text encoder", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sparsedb-dense-text-cli-"));
    generateModelFolder(join(root, "dense-model"), { size: "tiny", weights: "random", seed: 3, std: 0.5, head: "none" });
    await writeFile(join(root, "in.jsonl"), LINES.map((l) => JSON.stringify(l)).join("\n") + "\n");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("collections create --dense-model (relative to the working folder) and ingest, then a text search runs both legs", async () => {
    const dir = join(root, "db1");
    const created = await sparsedb(["collections", "create", "h", "--dense-dims", String(DIMS), "--dense-metric", "dot", "--dense-model", "dense-model", "--dense-pooling", "cls", "--dir", dir], { cwd: root });
    expect(created.code, created.stderr).toBe(0);
    const ingested = await sparsedb(["ingest", "in.jsonl", "--format", "jsonl", "--dir", dir, "-c", "h"], { cwd: root });
    expect(ingested.code, ingested.stderr).toBe(0);
    const searched = await sparsedb(["search", "glacier ice", "--json", "--explain", "-k", "3", "--dir", dir, "-c", "h"], { cwd: root });
    expect(searched.code, searched.stderr).toBe(0);
    const hits = JSON.parse(searched.stdout) as { id: string; score: number; legs?: unknown }[];

    const db = await Database.open(dir);
    const encoder = await createDenseEncoder({ kind: "dense", modelDir: join(root, "dense-model"), pooling: "cls", workers: 1, threadsPerWorker: 1 });
    try {
      const h = await db.collection("h");
      expect(h.config.dense!.encoder).toMatchObject({ kind: "dense", modelDir: join(root, "dense-model"), pooling: "cls", normalize: true });
      const expected = await encoder.encode(LINES.map((l) => l.text), "document");
      for (let i = 0; i < LINES.length; i++) expect(maxAbsDifference((await h.get(LINES[i]!.id))!.dense!, expected[i]!)).toBeLessThan(1e-5);
      const explicit = await h.search({ vector: await h.encoder!.encodeQuery("glacier ice"), dense: await encoder.encodeQuery("glacier ice"), k: 3 });
      expect(hits.map((x) => x.id)).toEqual(explicit.map((x) => x.id));
      expect(hits[0]!.legs).toBeDefined();
    } finally {
      await encoder.close();
      await db.close();
    }
  });

  it("ingest creates the collection with the dense flags; --dense-model without --dense-dims, and a wrong N, are refused", async () => {
    const dir = join(root, "db2");
    const ingested = await sparsedb(["ingest", "in.jsonl", "--format", "jsonl", "--dir", dir, "-c", "n", "--dense-dims", String(DIMS), "--dense-model", "dense-model", "--dense-no-normalize"], { cwd: root });
    expect(ingested.code, ingested.stderr).toBe(0);
    const db = await Database.open(dir);
    try {
      const n = await db.collection("n");
      expect(n.config.dense!.encoder).toMatchObject({ pooling: "mean", normalize: false });
      expect((await n.get("a"))!.dense!.length).toBe(DIMS);
    } finally {
      await db.close();
    }
    const noDims = await sparsedb(["collections", "create", "x", "--dense-model", "dense-model", "--dir", dir], { cwd: root });
    expect(noDims.code).not.toBe(0);
    expect(noDims.stderr).toContain("--dense-model needs --dense-dims N");
    const wrong = await sparsedb(["collections", "create", "y", "--dense-dims", String(DIMS + 2), "--dense-model", "dense-model", "--dir", dir], { cwd: root });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`use dims ${DIMS}`);
  });
});
