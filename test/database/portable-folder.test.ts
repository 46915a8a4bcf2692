import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import { builtinTokenizerJson } from "../../encoder/builtin-tokenizer.js";
import { generateModelFolder } from "../../encoder/model-gen/generate-model.js";

// A database folder carries the files its encoders read: it survives moving, copying, deleting
// the originals, and opening from another working directory.

const roots: string[] = [];
const startCwd = process.cwd();
afterEach(async () => {
  process.chdir(startCwd);
  for (const d of roots.splice(0)) await rm(d, { recursive: true, force: true });
});

async function root(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sparsedb-portable-"));
  roots.push(d);
  return d;
}

async function catalogEncoder(dbDir: string, name: string): Promise<Record<string, unknown>> {
  type Body = { collections: Record<string, { config: { encoder: Record<string, unknown> } }> };
  // The catalog file wraps its body with a checksum: {format, crc32c, catalog}.
  const file = JSON.parse(await readFile(join(dbDir, "sparsedb.json"), "utf8")) as { catalog: Body };
  return file.catalog.collections[name]!.config.encoder;
}

const DOCS = [
  { id: "a", text: "Orangutans live in the rainforests of Borneo" },
  { id: "b", text: "Glaciers carve valleys and leave lakes behind" },
  { id: "c", text: "The price of coffee depends on the weather in Brazil" },
];

describe("a database folder is self-contained", () => {
  it("BM25 with a relative tokenizer path: copied at creation, found after the original is deleted and the folder moved", async () => {
    const r = await root();
    await mkdir(join(r, "work"));
    await writeFile(join(r, "work", "my-tokenizer.json"), JSON.stringify(builtinTokenizerJson()));
    process.chdir(join(r, "work"));
    let db = await Database.open("db");
    const docs = await db.createCollection("docs", { encoder: { kind: "bm25", tokenizerPath: "my-tokenizer.json" } });
    await docs.upsert(DOCS);
    const before = await docs.search({ text: "where do orangutans live", k: 3 });
    expect(before[0]!.id).toBe("a");
    await db.close();
    expect(await catalogEncoder(join(r, "work", "db"), "docs")).toMatchObject({ kind: "bm25", tokenizerPath: "encoder/tokenizer.json" });
    expect(existsSync(join(r, "work", "db", "collections", "docs", "encoder", "tokenizer.json"))).toBe(true);

    await rm(join(r, "work", "my-tokenizer.json"));
    await rename(join(r, "work", "db"), join(r, "moved-db"));
    await mkdir(join(r, "elsewhere"));
    process.chdir(join(r, "elsewhere"));
    db = await Database.open("../moved-db", { create: false });
    const again = await db.collection("docs");
    expect(await again.count()).toBe(3);
    expect(await again.search({ text: "where do orangutans live", k: 3 })).toEqual(before);
    await db.close();
  });

  it("inference-free with relative IDF and tokenizer paths: both copied", async () => {
    const r = await root();
    process.chdir(r);
    await writeFile(join(r, "idf.json"), JSON.stringify({ borneo: 4, coffee: 3, valleys: 2 }));
    await writeFile(join(r, "tok.json"), JSON.stringify(builtinTokenizerJson()));
    let db = await Database.open("db");
    const docs = await db.createCollection("docs", { encoder: { kind: "inference-free", idfPath: "./idf.json", tokenizerPath: "tok.json" } });
    await docs.upsert(DOCS);
    const before = await docs.search({ text: "coffee", k: 1 });
    expect(before[0]!.id).toBe("c");
    await db.close();
    expect(await catalogEncoder(join(r, "db"), "docs")).toMatchObject({ idfPath: "encoder/idf.json", tokenizerPath: "encoder/tokenizer.json" });
    await rm(join(r, "idf.json"));
    await rm(join(r, "tok.json"));
    await rename(join(r, "db"), join(r, "db2"));
    process.chdir(tmpdir());
    db = await Database.open(join(r, "db2"), { create: false });
    expect(await (await db.collection("docs")).search({ text: "coffee", k: 1 })).toEqual(before);
    await db.close();
  });

  it("a file that cannot be read fails the create, naming the path and where it was looked for, and leaves nothing behind", async () => {
    const r = await root();
    process.chdir(r);
    const db = await Database.open("db");
    await expect(db.createCollection("docs", { encoder: { kind: "bm25", tokenizerPath: "missing.json" } })).rejects.toMatchObject({
      code: "ENCODER_FILE_NOT_FOUND",
      message: expect.stringMatching(/tokenizerPath missing\.json cannot be read \(ENOENT; relative paths are resolved against .*\)/),
    });
    expect(db.listCollections()).toEqual([]);
    expect(existsSync(join(r, "db", "collections", "docs"))).toBe(false);
    await db.close();
  });

  it("the default BM25 needs no file at all, and SPLADE records its model folder by absolute path, with a clear error once it moved", async () => {
    const r = await root();
    process.chdir(r);
    generateModelFolder(join(r, "model"), { size: "tiny", weights: "hand-set" });
    await writeFile(join(r, "idf.json"), JSON.stringify({ borneo: 4 }));
    let db = await Database.open("db");
    await db.createCollection("plain");
    await db.createCollection("explicit", { encoder: { kind: "bm25" } });
    expect(await catalogEncoder(join(r, "db"), "plain")).toMatchObject({ kind: "bm25", tokenizerPath: "builtin:bert-base-uncased" });
    // One default: no encoder and {kind: "bm25"} without a tokenizer are the same encoder.
    expect(await catalogEncoder(join(r, "db"), "explicit")).toEqual(await catalogEncoder(join(r, "db"), "plain"));
    const s = await db.createCollection("s", { encoder: { kind: "splade", modelDir: "model", workers: 1, queryMode: "inference-free", idfPath: "idf.json" } });
    await s.upsert(DOCS);
    await db.close();
    expect(await catalogEncoder(join(r, "db"), "s")).toMatchObject({ kind: "splade", modelDir: join(r, "model"), idfPath: "encoder/idf.json" });
    expect(existsSync(join(r, "db", "collections", "s", "encoder", "tokenizer.json"))).toBe(false);

    await rename(join(r, "model"), join(r, "model-moved"));
    db = await Database.open(join(r, "db"));
    await expect(db.collection("s")).rejects.toMatchObject({
      code: "ENCODER_FILE_NOT_FOUND",
      message: expect.stringMatching(/collection "s" encodes with the SPLADE model folder .*model, recorded when it was created.*put the model back at that path/),
    });
    expect(await (await db.collection("plain")).count()).toBe(0);
    await db.close();
    await rename(join(r, "model-moved"), join(r, "model"));
    db = await Database.open(join(r, "db"));
    expect(await (await db.collection("s")).count()).toBe(3);
    await db.close();
  });
});
