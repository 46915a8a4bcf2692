import fc from "fast-check";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";
import { denseScore } from "../../engine/dense/dense-metric.js";
import { fuse, type Fusion } from "../../engine/dense/fusion.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sparsedb-dense-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const sparse = (terms: number[], weights: number[]) => ({ terms, weights });

describe("collection config dense", () => {
  it("is checked, persisted, reported by config and stats, and survives a reopen", async () => {
    const dir = join(await tempDir(), "db");
    let db = await Database.open(dir);
    const c = await db.createCollection("h", { dense: { dims: 3, metric: "l2", index: "flat" } });
    expect(c.config.dense).toEqual({ dims: 3, metric: "l2", index: "flat" });
    await c.upsert([{ id: "a", vector: sparse([5], [1]), dense: [1, 2, 3] }]);
    expect(await c.stats()).toMatchObject({ dense: { dims: 3, metric: "l2", index: "flat" }, denseDocs: 1 });
    await db.close();
    db = await Database.open(dir);
    const again = await db.collection("h");
    expect(again.config.dense).toEqual({ dims: 3, metric: "l2", index: "flat" });
    expect(Array.from((await again.get("a"))!.dense!)).toEqual([1, 2, 3]);
    // The defaults: metric cosine, index flat.
    const d = await db.createCollection("d", { dense: { dims: 2 } });
    expect(d.config.dense).toEqual({ dims: 2, metric: "cosine", index: "flat" });
    await db.close();
  });

  it("bad configs are refused with what to give", async () => {
    const db = await Database.open(join(await tempDir(), "db"));
    await expect(db.createCollection("x", { dense: { dims: 0 } as never })).rejects.toThrow(/dense: dims is 0; use an integer in 1\.\.8192/);
    await expect(db.createCollection("x", { dense: { dims: 4, metric: "hamming" } as never })).rejects.toThrow(/metric is "hamming"; use "cosine", "dot" or "l2"/);
    await expect(db.createCollection("x", { dense: { dims: 4, index: "ivf" } as never })).rejects.toThrow(/index is "ivf"; use "hnsw"/);
    await expect(db.createCollection("x", { dense: { dims: 4, size: 3 } as never })).rejects.toThrow(/unknown key "size"/);
    await expect(db.createCollection("x", { dense: [4] as never })).rejects.toThrow(/expected \{dims, metric\?, index\?\}/);
    await db.close();
  });
});

describe("documents' dense vectors", () => {
  it("wrong length, NaN, infinities, non-numbers, a zero vector under cosine and dense without a dense config: errors naming the document", async () => {
    const db = await Database.open(join(await tempDir(), "db"));
    const c = await db.createCollection("h", { dense: { dims: 3, metric: "cosine", index: "flat" } });
    const plain = await db.createCollection("plain");
    const up = (dense: unknown) => c.upsert([{ id: "ok", dense: [1, 1, 1] }, { id: "bad-one", dense } as never]);
    await expect(up([1, 2])).rejects.toThrow(/document 1 \(id "bad-one"\): the dense vector has 2 values; this collection's dense vectors have exactly 3/);
    await expect(up([1, NaN, 2])).rejects.toThrow(/document 1 \(id "bad-one"\): dense\[1\] is NaN; dense values must be finite/);
    await expect(up(Float32Array.of(1, Infinity, 2))).rejects.toThrow(/dense\[1\] is Infinity/);
    await expect(up([1, "2", 3])).rejects.toThrow(/dense\[1\] must be a number, got a string/);
    await expect(up({ 0: 1 })).rejects.toThrow(/dense must be an array of numbers or a Float32Array/);
    await expect(up([1e39, 0, 0])).rejects.toThrow(/beyond float32's range/);
    await expect(up([0, 0, 0])).rejects.toThrow(/id "bad-one"\): the dense vector is all zeros/);
    await expect(plain.upsert([{ id: "p", text: "x", dense: [1] }])).rejects.toThrow(/id "p"\): has a dense vector, but this collection has no dense vectors/);
    expect(await c.count()).toBe(0); // nothing of a refused batch is stored
    await expect(c.search({ dense: [1, 2], k: 1 })).rejects.toThrow(/search: query: the dense vector has 2 values/);
    await expect(plain.search({ dense: [1], k: 1 })).rejects.toThrow(/search: query: has a dense vector, but this collection has no dense vectors/);
    await db.close();
  });

  it("cosine: documents are stored at unit length and queries scaled, so scores are cosines", async () => {
    const db = await Database.open(join(await tempDir(), "db"));
    const c = await db.createCollection("h", { dense: { dims: 2, metric: "cosine", index: "flat" } });
    await c.upsert([{ id: "long", dense: [30, 40] }, { id: "short", dense: [1, 0] }]);
    expect(Array.from((await c.get("long"))!.dense!)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    const hits = await c.search({ dense: [10, 0], k: 2 });
    expect(hits.map((h) => h.id)).toEqual(["short", "long"]);
    expect(hits[0]!.score).toBe(1);
    expect(hits[1]!.score).toBeCloseTo(0.6, 6);
    await db.close();
  });

  it("l2: a hit's score is minus the Euclidean distance, nearest first", async () => {
    const db = await Database.open(join(await tempDir(), "db"));
    const c = await db.createCollection("h", { dense: { dims: 2, metric: "l2", index: "flat" } });
    await c.upsert([{ id: "far", dense: [3, 4] }, { id: "near", dense: [0, 1] }, { id: "none", vector: sparse([1], [1]) }]);
    const hits = await c.search({ dense: [0, 0], k: 5 });
    expect(hits.map((h) => [h.id, h.score])).toEqual([["near", -1], ["far", -5]]);
    await db.close();
  });
});

/** A small hybrid collection, half its documents flushed into a segment, one deleted and one replaced. */
async function hybridCollection() {
  const db = await Database.open(join(await tempDir(), "db"));
  const c = await db.createCollection("h", { dense: { dims: 2, metric: "dot", index: "flat" } });
  const docs = Array.from({ length: 12 }, (_, i) => ({
    id: `d${String(i).padStart(2, "0")}`,
    vector: sparse([1, 2 + (i % 3)], [1 + (i % 5), 0.5 * i]),
    ...(i % 4 === 3 ? {} : { dense: [Math.cos(i), Math.sin(i)] }),
    metadata: { g: i % 2 },
  }));
  await c.upsert(docs.slice(0, 6));
  await c.flush();
  await c.upsert(docs.slice(6));
  await c.delete(["d01"]);
  await c.upsert([{ id: "d02", vector: sparse([1], [0.1]), dense: [-1, 0], metadata: { g: 0 } }]);
  const live = new Map(docs.filter((d) => d.id !== "d01" && d.id !== "d02").map((d) => [d.id, d]));
  live.set("d02", { id: "d02", vector: sparse([1], [0.1]), dense: [-1, 0], metadata: { g: 0 } });
  return { db, c, live };
}

type Doc = { id: string; vector: { terms: number[]; weights: number[] }; dense?: number[]; metadata: { g: number } };

function sparseLeg(live: Map<string, Doc>, q: { terms: number[]; weights: number[] }, k: number, g?: number) {
  const out: { id: string; score: number }[] = [];
  for (const d of live.values()) {
    if (g !== undefined && d.metadata.g !== g) continue;
    let s = 0, touched = false;
    d.vector.terms.forEach((t, i) => {
      const j = q.terms.indexOf(t);
      if (j >= 0) {
        s += Math.fround(q.weights[j]!) * Math.fround(d.vector.weights[i]!);
        touched = true;
      }
    });
    if (touched) out.push({ id: d.id, score: s });
  }
  return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
}

function denseLeg(live: Map<string, Doc>, q: number[], k: number, g?: number) {
  const out: { id: string; score: number }[] = [];
  for (const d of live.values()) {
    if (d.dense === undefined || (g !== undefined && d.metadata.g !== g)) continue;
    out.push({ id: d.id, score: denseScore(Float32Array.from(d.dense), 2, 0, Float32Array.from(q), "dot") });
  }
  return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
}

describe("hybrid search", () => {
  const fusionArb: fc.Arbitrary<Fusion> = fc.oneof(
    fc.constant("rrf" as const),
    fc.constant("dbsf" as const),
    fc.integer({ min: 0, max: 100 }).map((k) => ({ rrf: { k } })),
    fc.record({ sparse: fc.double({ min: 0, max: 2, noNaN: true }), dense: fc.double({ min: 0.1, max: 2, noNaN: true }) }).map((w) => ({ linear: w })),
  );

  it("fused results equal the reference fusion of the exact legs (filters and deletes applied to both legs first)", async () => {
    const { db, c, live } = await hybridCollection();
    await fc.assert(
      fc.asyncProperty(
        fusionArb,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.option(fc.constantFrom(0, 1), { nil: undefined }),
        fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        async (fusion, k, extra, g, angle) => {
          const q = sparse([1, 3], [1, 0.7]), dq = [Math.cos(angle), Math.sin(angle)];
          const prefetch = k + extra;
          const want = fuse({ sparse: sparseLeg(live, q, prefetch, g), dense: denseLeg(live, dq, prefetch, g) }, fusion, k);
          const got = await c.search({ vector: q, dense: dq, k, prefetch, fusion, filter: g === undefined ? undefined : { g }, explain: true });
          expect(got.map((h) => [h.id, h.score])).toEqual(want.map((h) => [h.id, h.score]));
          got.forEach((h, i) => expect(h.legs).toEqual({ sparse: want[i]!.legs.sparse ?? null, dense: want[i]!.legs.dense ?? null }));
        },
      ),
      { numRuns: 40 },
    );
    await db.close();
  });

  it("rerank dense: the sparse leg's prefetch candidates ordered by dense similarity; rerank sparse: the reverse", async () => {
    const { db, c, live } = await hybridCollection();
    const q = sparse([1, 2], [1, 1]), dq = [0.3, -1];
    const first = sparseLeg(live, q, 5);
    const byDense = first
      .filter((h) => live.get(h.id)!.dense !== undefined)
      .map((h) => ({ id: h.id, score: denseLeg(new Map([[h.id, live.get(h.id)!]]), dq, 1)[0]!.score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const got = await c.search({ vector: q, dense: dq, k: 3, prefetch: 5, rerank: "dense", explain: true });
    expect(got.map((h) => [h.id, h.score])).toEqual(byDense.slice(0, 3).map((h) => [h.id, h.score]));
    expect(got[0]!.legs!.sparse!.rank).toBe(first.findIndex((h) => h.id === got[0]!.id) + 1);
    expect(got[0]!.legs!.dense).toEqual({ rank: 1, score: got[0]!.score });

    const firstDense = denseLeg(live, dq, 4);
    const bySparse = firstDense
      .map((h) => ({ id: h.id, score: sparseLeg(new Map([[h.id, live.get(h.id)!]]), q, 1)[0]?.score ?? 0 }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const got2 = await c.search({ vector: q, dense: dq, k: 4, prefetch: 4, rerank: "sparse" });
    expect(got2.map((h) => [h.id, h.score])).toEqual(bySparse.map((h) => [h.id, h.score]));
    await db.close();
  });

  it("dense-only search honours filter, offset, scoreThreshold and include; explain gives the dense leg's rank", async () => {
    const { db, c, live } = await hybridCollection();
    const dq = [1, 0.2];
    const all = denseLeg(live, dq, 100, 0);
    expect(all.length).toBe(6);
    const got = await c.search({ dense: dq, k: 3, offset: 1, filter: { g: 0 }, include: { metadata: false }, explain: true });
    expect(got.map((h) => [h.id, h.score])).toEqual(all.slice(1, 4).map((h) => [h.id, h.score]));
    expect(got[0]!.metadata).toBeUndefined();
    expect(got[0]!.legs).toEqual({ sparse: null, dense: { rank: 2, score: all[1]!.score } });
    const min = all[2]!.score;
    expect((await c.search({ dense: dq, k: 10, filter: { g: 0 }, scoreThreshold: min })).map((h) => h.id)).toEqual(all.slice(0, 3).map((h) => h.id));
    await db.close();
  });

  it("explain on a fused hit gives the sparse terms' contributions too", async () => {
    const { db, c } = await hybridCollection();
    const [hit] = await c.search({ vector: sparse([1], [2]), dense: [1, 0], k: 1, explain: true });
    expect(hit!.explain!.length).toBeGreaterThan(0);
    expect(hit!.explain![0]!.termId).toBe(1);
    await db.close();
  });

  it("request rules: fusion, prefetch and rerank need both legs; prefetch at least offset + k; rerank excludes fusion", async () => {
    const { db, c } = await hybridCollection();
    const q = sparse([1], [1]);
    await expect(c.search({ vector: q, k: 2, fusion: "rrf" })).rejects.toThrow(/fusion needs both a sparse query/);
    await expect(c.search({ dense: [1, 0], k: 2, rerank: "dense" })).rejects.toThrow(/rerank "dense" needs both/);
    await expect(c.search({ dense: [1, 0], k: 2, prefetch: 5 })).rejects.toThrow(/prefetch needs both/);
    await expect(c.search({ vector: q, dense: [1, 0], k: 5, offset: 2, prefetch: 6 })).rejects.toThrow(/prefetch must be an integer in 7\.\.10000/);
    await expect(c.search({ vector: q, dense: [1, 0], k: 2, fusion: "max" as never })).rejects.toThrow(/search: fusion is "max"/);
    await expect(c.search({ vector: q, dense: [1, 0], k: 2, fusion: "rrf", rerank: "dense" })).rejects.toThrow(/give fusion or rerank, not both/);
    await expect(c.search({ vector: q, dense: [1, 0], k: 2, rerank: "both" as never })).rejects.toThrow(/rerank must be "dense" or "sparse"/);
    await expect(c.search({ dense: [1, 0], k: 2, mode: "fast" })).rejects.toThrow(/mode "fast" is the sparse leg's/);
    // The default prefetch (max(4 x depth, 20)) reaches past k.
    expect((await c.search({ vector: q, dense: [1, 0], k: 1 })).length).toBe(1);
    await db.close();
  });
});
