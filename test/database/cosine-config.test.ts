import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../engine/database.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sparsedb-cosine-db-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** An inference-free encoder's IDF table over a few BERT tokens. */
async function idfFile(dir: string): Promise<string> {
  const path = join(dir, "idf.json");
  await writeFile(path, JSON.stringify({ rain: 2, forest: 1.5, jungle: 3, dry: 1, desert: 2.5 }));
  return path;
}

describe('collection config "metric"', () => {
  it("is persisted, reported by the config, describe and stats, and survives a reopen; text documents and queries are compared by cosine", async () => {
    const dir = await tempDir();
    const idfPath = await idfFile(dir);
    let db = await Database.open(join(dir, "db"));
    const c = await db.createCollection("cos", { metric: "cosine", encoder: { kind: "inference-free", idfPath } });
    expect(c.config.metric).toBe("cosine");
    await c.upsert([
      { id: "short", text: "rain forest" },
      { id: "long", text: "rain rain rain forest forest jungle desert dry dry dry" },
    ]);
    const hits = await c.search({ text: "rain forest", k: 2 });
    expect(hits.map((h) => h.id)).toEqual(["short", "long"]);
    expect(hits[0]!.score).toBeLessThanOrEqual(1 + 1e-6);
    expect(await c.stats()).toMatchObject({ metric: "cosine" });
    await db.close();

    db = await Database.open(join(dir, "db"));
    expect(db.listCollections()[0]!.config.metric).toBe("cosine");
    const again = await db.collection("cos");
    expect(await again.stats()).toMatchObject({ metric: "cosine" });
    expect((await again.search({ text: "rain forest", k: 2 })).map((h) => h.score)).toEqual(hits.map((h) => h.score));
    await db.close();
  });

  it('a config without it (every config written before it) means "dot"', async () => {
    const dir = await tempDir();
    let db = await Database.open(dir);
    await db.createCollection("plain");
    await db.close();
    db = await Database.open(dir);
    expect(db.listCollections()[0]!.config.metric).toBeUndefined();
    expect(await (await db.collection("plain")).stats()).toMatchObject({ metric: "dot" });
    await db.close();
  });

  it("bad values and cosine with BM25 (explicit or the default) are refused at creation, naming what to do", async () => {
    const dir = await tempDir();
    const db = await Database.open(dir);
    try {
      await expect(db.createCollection("a", { metric: "euclidean" as never })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        message: 'collection config: metric is "euclidean"; use "dot" or "cosine" ("dot" by default)',
      });
      await expect(db.createCollection("a", { metric: 1 as never })).rejects.toThrow(/metric is a number/);
      for (const config of [{ metric: "cosine" as const }, { metric: "cosine" as const, encoder: { kind: "bm25" as const } }]) {
        await expect(db.createCollection("a", config)).rejects.toMatchObject({
          code: "INVALID_ARGUMENT",
          message: expect.stringMatching(/metric "cosine" cannot be exact with the BM25 encoder.*Use metric "dot" with BM25.*--encoder inference-free --idf FILE/),
        });
      }
      expect(db.listCollections()).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
