import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { sparsedb } from "../cli/cli-harness.js";

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

  it("over the wire: createCollection takes it, describeCollection and stats report it, the same refusal for BM25", async () => {
    const dir = await tempDir();
    const idfPath = await idfFile(dir);
    const db = await Database.open(join(dir, "db"));
    const server = await SparseServer.listen(db, { port: 0 });
    const client = await SparseClient.connect({ port: server.port });
    try {
      const c = await client.createCollection("cos", { metric: "cosine", encoder: { kind: "inference-free", idfPath } });
      expect(c.config.metric).toBe("cosine");
      expect((await client.collection("cos")).config.metric).toBe("cosine");
      await c.upsert([{ id: "a", vector: { tokens: { rain: 3, forest: 4 } } }]);
      await c.flush(); // searched in a segment: by the server's search threads
      expect(await c.stats()).toMatchObject({ metric: "cosine", docs: 1 });
      expect([...(await c.get("a"))!.vector.weights]).toEqual([Math.fround(0.8), Math.fround(0.6)]); // forest (id 3224), rain (id 4542): unit length
      const hits = await c.search({ vector: { tokens: { rain: 10 } }, k: 1 });
      expect(hits[0]!.score).toBeCloseTo(0.6, 6); // cos: rain's share of the unit document vector
      expect((await client.createCollection("plain")).config.metric).toBe("dot");
      await expect(client.createCollection("bm", { metric: "cosine" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining('metric "cosine" cannot be exact with the BM25 encoder') });
    } finally {
      await client.close();
      await server.close();
      await db.close();
    }
  });

  it("the CLI: ingest --metric creates the collection with it; a bad value is a usage error, cosine with bm25 a failure that names what to do", async () => {
    const cwd = await tempDir();
    const idfPath = await idfFile(cwd);
    await writeFile(join(cwd, "docs.jsonl"), '{"id": "a", "text": "rain forest"}\n{"id": "b", "text": "dry desert"}\n');
    const ok = await sparsedb(["ingest", "docs.jsonl", "--dir", "db", "--metric", "cosine", "--encoder", "inference-free", "--idf", idfPath], { cwd });
    expect(ok.code, ok.stderr).toBe(0);
    const stats = await sparsedb(["stats", "--dir", "db"], { cwd });
    expect(JSON.parse(stats.stdout).collections.default).toMatchObject({ metric: "cosine", docs: 2 });
    const usage = await sparsedb(["ingest", "docs.jsonl", "--dir", "db2", "--metric", "angle"], { cwd });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--metric must be dot or cosine, got "angle"');
    const bm25 = await sparsedb(["ingest", "docs.jsonl", "--dir", "db3", "--metric", "cosine"], { cwd });
    expect(bm25.code).toBe(1);
    expect(bm25.stderr).toMatch(/metric "cosine" cannot be exact with the BM25 encoder.*--encoder splade --model DIR/);
  });
});
