import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtemp, readdir, rm, mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Database } from "../../engine/database.js";
import type { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { SparseDbError } from "../../engine/errors.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { compileFilter, type Filter } from "../../engine/filter.js";
import { backends } from "../server/server-fixture.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sparsedb-db-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(SparseDbError);
    return (e as SparseDbError).code;
  }
  throw new Error("expected a failure");
}

describe("Database", () => {
  it("persists collections and their configuration: reopening needs no arguments", async () => {
    const dir = await tempDir();
    let db = await Database.open(dir, await backends());
    const c = await db.createCollection("notes", { bits: 6, durability: "batch", batchIntervalMs: 5, encoder: { kind: "bm25", k1: 1.2 } });
    await c.upsert([
      { id: "1", text: "the quick brown fox", metadata: { n: 1 } },
      { id: "2", text: "a lazy dog sleeps", metadata: { n: 2 } },
    ]);
    const before = await c.search({ text: "lazy dog", k: 2 });
    await db.close();

    db = await Database.open(dir, await backends());
    expect(db.listCollections().map((x) => x.name)).toEqual(["notes"]);
    const again = await db.collection("notes");
    expect(again.config.bits).toBe(6);
    expect(again.config.durability).toBe("batch");
    expect(again.config.encoder).toMatchObject({ kind: "bm25", k1: 1.2 });
    expect(await again.count()).toBe(2);
    const after = await again.search({ text: "lazy dog", k: 2 });
    expect(after).toEqual(before); // BM25 statistics came back with the collection
    expect((await again.get("1"))?.metadata).toEqual({ n: 1 });
    await db.close();
  });

  it("uses the real storage and encoder by default, lexical BM25 when no model is configured", async () => {
    const dir = await tempDir();
    const db = await Database.open(dir);
    const c = await db.createCollection("plain");
    expect(c.encoderDescription).toMatch(/BM25 \(no SPLADE model configured\)/);
    expect(c.config.encoder?.kind).toBe("bm25");
    await c.upsert([{ id: "a", text: "glaciers carve valleys" }, { id: "b", text: "coffee prices in brazil" }]);
    expect((await c.search({ text: "glaciers", k: 1 }))[0]!.id).toBe("a");
    await db.close();
    const again = await Database.open(dir);
    expect((await (await again.collection("plain")).search({ text: "coffee", k: 1 }))[0]!.id).toBe("b");
    await again.close();
  });

  it("validates a BM25 collection's k1, b, token limit and analyzer options, and persists them", async () => {
    const dir = await tempDir();
    let db = await Database.open(dir);
    await expect(db.createCollection("x", { encoder: { kind: "bm25", k_1: 1 } as never })).rejects.toThrow(/unknown key "k_1"/);
    await expect(db.createCollection("x", { encoder: { kind: "bm25", b: 3 } })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(db.createCollection("x", { encoder: { kind: "bm25", stopwords: "fr" as never } })).rejects.toThrow(/stopwords is "fr"/);
    expect(db.listCollections()).toEqual([]);
    const c = await db.createCollection("x", { encoder: { kind: "bm25", k1: 1.5, b: 0.6, maxTokens: 64, stopwords: "english" } });
    await c.upsert([{ id: "a", text: "the glaciers of the north" }, { id: "b", text: "coffee in the morning" }]);
    expect(await c.search({ text: "the", k: 5 })).toEqual([]);
    await db.close();
    db = await Database.open(dir);
    const again = await db.collection("x");
    expect(again.config.encoder).toEqual({ kind: "bm25", tokenizerPath: expect.any(String), k1: 1.5, b: 0.6, maxTokens: 64, dropPunctuation: true, stopwords: "english" });
    const analyze = (t: string) => (again.encoder as Bm25Encoder).analyze(t);
    const length = analyze("the glaciers of the north").length + analyze("coffee in the morning").length;
    expect(analyze("the of in")).toEqual([]); // stopwords do not count in lengths
    expect((await again.stats()).corpus).toEqual({ docs: 2, totalLength: length });
    await db.close();
  });

  it("refuses a collection whose BM25 statistics an older version kept in encoder-state/, naming the way out", async () => {
    const dir = await tempDir();
    let db = await Database.open(dir);
    await (await db.createCollection("old")).upsert([{ id: "a", text: "glaciers" }]);
    await db.close();
    await mkdir(join(dir, "encoder-state"));
    await writeFile(join(dir, "encoder-state", "old.json"), JSON.stringify({ numDocs: 1, totalLength: 1, df: {} }));
    db = await Database.open(dir);
    await expect(db.collection("old")).rejects.toMatchObject({ code: "UNSUPPORTED_VERSION", message: expect.stringMatching(/Re-ingest .* or delete that file/) });
    await rm(join(dir, "encoder-state", "old.json"));
    expect(await (await db.collection("old")).count()).toBe(1);
    await db.close();
  });

  it("validates names so that no path escapes the folder", async () => {
    const dir = await tempDir();
    const db = await Database.open(dir, await backends());
    for (const bad of ["", "..", "../x", "a/b", "a\\b", ".hidden", "x".repeat(65), "nul\0", "a b"]) {
      expect(await codeOf(db.createCollection(bad))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(db.collection(bad))).toBe("INVALID_ARGUMENT");
    }
    await db.createCollection("Docs");
    expect(await codeOf(db.createCollection("docs"))).toBe("ALREADY_EXISTS");
    expect(await codeOf(db.createCollection("x", { bits: 99 }))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(db.createCollection("x", { nonsense: 1 } as any))).toBe("INVALID_ARGUMENT");
    expect(await readdir(join(dir, "collections"))).toEqual(["Docs"]);
    await db.close();
  });

  it("drops collections; leaves folders the catalog does not name alone and refuses to create over them", async () => {
    const dir = await tempDir();
    let db = await Database.open(dir, await backends());
    const a = await db.createCollection("a");
    await a.upsert([{ id: "x", text: "hello" }]);
    await db.createCollection("b");
    await db.dropCollection("a");
    expect(await codeOf(a.count())).toBe("CLOSED");
    expect(await codeOf(db.collection("a"))).toBe("NOT_FOUND");
    expect(await codeOf(db.dropCollection("a"))).toBe("NOT_FOUND");
    expect(await readdir(join(dir, "collections"))).toEqual(["b"]);
    await db.close();
    await mkdir(join(dir, "collections", "orphan"));
    await writeFile(join(dir, "collections", "orphan", "junk"), "x");
    db = await Database.open(dir, await backends());
    expect((await readdir(join(dir, "collections"))).sort()).toEqual(["b", "orphan"]); // not sparsedb's to delete
    await expect(db.createCollection("orphan")).rejects.toMatchObject({ code: "ALREADY_EXISTS", message: expect.stringContaining("catalog names no such collection") });
    const a2 = await db.createCollection("a"); // the name is free again, and empty
    expect(await a2.count()).toBe(0);
    await db.close();
  });

  it("is locked against a second opener while open, and reopens after a crash", async () => {
    const dir = await tempDir();
    const db = await Database.open(dir, await backends());
    expect(await codeOf(Database.open(dir, await backends()))).toBe("LOCKED");
    await db.close();
    // A lock left by a process that is gone is stale.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    await writeFile(join(dir, "sparsedb.lock"), dead);
    const db2 = await Database.open(dir, await backends());
    await db2.close();
    expect(existsSync(join(dir, "sparsedb.lock"))).toBe(false);
  });

  it("needs the folder when create is false; closed databases say so", async () => {
    const dir = await tempDir();
    expect(await codeOf(Database.open(join(dir, "missing"), { ...(await backends()), create: false }))).toBe("NOT_FOUND");
    expect(await codeOf(Database.open(dir, { ...(await backends()), create: false }))).toBe("NOT_FOUND"); // a folder, but no database
    expect(existsSync(join(dir, "sparsedb.json"))).toBe(false);
    const db = await Database.open(dir, await backends());
    await db.close();
    expect(await codeOf(() => db.listCollections())).toBe("CLOSED");
    expect(await codeOf(db.createCollection("x"))).toBe("CLOSED");
  });

  it("explains hits with tokens from the encoder's vocabulary", async () => {
    const db = await Database.open(await tempDir(), await backends());
    const c = await db.createCollection("e");
    await c.upsert([{ id: "1", text: "orangutans live in rainforests" }, { id: "2", text: "bread and yeast" }]);
    const [hit] = await c.search({ text: "orangutans rainforests", k: 1, explain: true });
    expect(hit!.id).toBe("1");
    const tokens = hit!.explain!.map((e) => e.token);
    // BERT's word pieces: "orangutans" is or ##ang ##uta ##ns, "rainforests" rainforest ##s.
    expect(tokens).toEqual(expect.arrayContaining(["or", "##ang", "##uta", "##ns", "rainforest", "##s"]));
    for (const e of hit!.explain!) expect(c.encoder!.vocabulary.tokenOf(e.termId)).toBe(e.token);
    await db.close();
  });
});

describe("filtered search against brute force", () => {
  it("returns exactly the top-k of the documents the filter accepts", async () => {
    const db = await Database.open(await tempDir(), await backends());
    const c = await db.createCollection("f", { memtableMaxDocs: 40 });
    const langs = ["en", "fr", "de"];
    const docs = Array.from({ length: 150 }, (_, i) => {
      const terms = [i % 7, 7 + (i % 5), 12 + (i % 11), 30 + (i % 3)];
      const weights = terms.map((_, j) => 0.25 + ((i * 31 + j * 17) % 97) / 50);
      return { id: `d${i}`, vector: SparseVector.fromArrays(terms, weights), metadata: { lang: langs[i % 3]!, year: 1990 + (i % 30), draft: i % 4 === 0 } };
    });
    for (let i = 0; i < docs.length; i += 25) await c.upsert(docs.slice(i, i + 25)); // several segments + memtable
    await c.delete(["d3", "d10", "d77"]);
    const live = docs.filter((d) => !["d3", "d10", "d77"].includes(d.id));
    const filter = fc.oneof(
      fc.record({ lang: fc.constantFrom(...langs) }),
      fc.record({ year: fc.record({ gte: fc.integer({ min: 1990, max: 2020 }), lt: fc.integer({ min: 1990, max: 2020 }) }) }),
      fc.record({ or: fc.tuple(fc.record({ lang: fc.constantFrom(...langs) }), fc.record({ draft: fc.boolean() })) }),
      fc.record({ lang: fc.record({ in: fc.subarray(langs) }), draft: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(filter, fc.integer({ min: 1, max: 20 }), fc.subarray([0, 7, 8, 12, 13, 30, 31], { minLength: 1 }), async (f, k, qTerms) => {
        const q = SparseVector.fromArrays(qTerms, qTerms.map((t) => 1 + (t % 3)), { role: "query" });
        const pass = compileFilter(f as Filter);
        const expected = live
          .filter((d) => pass(d.metadata))
          .map((d) => ({ id: d.id, score: d.vector.dot(q) }))
          .filter((h) => h.score > 0)
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
          .slice(0, k);
        const got = await c.search({ vector: q, k, filter: f as Filter });
        expect(got.map((h) => h.id)).toEqual(expected.map((h) => h.id));
        got.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 4));
      }),
      { numRuns: 60 },
    );
    await db.close();
  });
});
