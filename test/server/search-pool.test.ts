import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installSegmentSearchPool, segmentSearchPool } from "../../engine/collection/parallel-search.js";
import { Database } from "../../engine/database.js";
import type { Collection as DatabaseCollection } from "../../engine/collection.js";
import { acquireSearchPool, releaseSearchPool, type SearchPool } from "../../engine/server/search-pool.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { backends } from "./server-fixture.js";

/**
 * The worker pool returns what the in-process search returns: the same ids, scores and order,
 * over several segments with deletions, a memtable, exact and fast mode.
 */
const VOCAB = 2000;

function docVector(i: number): SparseVector {
  const terms = new Set<number>();
  const n = 5 + (i % 40);
  for (let j = 0; j < n; j++) terms.add((i * 7919 + j * j * 104729 + j) % VOCAB);
  const sorted = [...terms].sort((a, b) => a - b);
  return SparseVector.fromArrays(sorted, sorted.map((t) => 0.05 + ((t * 31 + i * 17) % 97) / 16));
}

const realStorage = process.env.SPARSEDB_TEST_FAKE_STORAGE !== "1";
let pool: SearchPool | undefined;
let dir = "";
let db: Database | undefined;
let c: DatabaseCollection;

beforeAll(async () => {
  if (!realStorage) return;
  pool = acquireSearchPool(2); // before any kernel exists, so every segment's memory is shared
  if (pool === undefined) return; // not built (dist/ lacks the worker or the shared kernel)
  dir = await mkdtemp(join(tmpdir(), "sparsedb-pool-"));
  db = await Database.open(dir, await backends());
  c = await db.createCollection("c", { memtableMaxDocs: 700 });
  for (let first = 0; first < 3000; first += 500) {
    await c.upsert(Array.from({ length: 500 }, (_, i) => ({ id: `d${first + i}`, vector: docVector(first + i), metadata: { parity: (first + i) % 2 === 0 ? "even" : "odd" } })));
  }
  await c.flush();
  // Deletions in flushed segments, replacements and new documents in the memtable.
  await c.delete(Array.from({ length: 300 }, (_, i) => `d${i * 9}`));
  await c.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `d${i * 9 + 1}`, vector: docVector(10_000 + i) })));
  await c.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `m${i}`, vector: docVector(20_000 + i) })));
}, 120_000);

afterAll(async () => {
  await db?.close();
  if (pool !== undefined) await releaseSearchPool(pool);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The same search with the pool uninstalled: every segment searched on this thread. */
async function inProcess<T>(run: () => Promise<T>): Promise<T> {
  const installed = segmentSearchPool();
  installSegmentSearchPool(undefined);
  try {
    return await run();
  } finally {
    installSegmentSearchPool(installed);
  }
}

const queryArb = fc.uniqueArray(fc.integer({ min: 0, max: VOCAB - 1 }), { minLength: 1, maxLength: 30 }).chain((terms) =>
  fc.record({
    terms: fc.constant(terms.sort((a, b) => a - b)),
    weights: fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: terms.length, maxLength: terms.length }),
    k: fc.integer({ min: 1, max: 60 }),
    mode: fc.constantFrom("exact" as const, "fast" as const),
  }),
);

describe("search worker pool", () => {
  it.skipIf(!realStorage)("is built and installed", () => {
    expect(pool, "dist/ needs search-worker.js and range-kernel.wasm (npm run build)").toBeDefined();
    expect(segmentSearchPool()).toBe(pool);
  });

  it.skipIf(!realStorage)("gives the same hits as the in-process search", async () => {
    if (pool === undefined) return;
    const stats = (await c.stats()) as { segments: number; deletedDocs: number; memtableDocs: number };
    expect(stats.segments).toBeGreaterThan(1);
    expect(stats.deletedDocs).toBeGreaterThan(0);
    expect(stats.memtableDocs).toBeGreaterThan(0);
    const before = pool.searchesInWorkers;
    await fc.assert(
      fc.asyncProperty(queryArb, async (q) => {
        const request = { vector: SparseVector.fromArrays(q.terms, q.weights, { role: "query" }), k: q.k, mode: q.mode };
        const pooled = await c.search(request);
        const local = await inProcess(() => c.search(request));
        expect(pooled).toEqual(local);
        // And both are the exhaustive answer.
        const exhaustive = await inProcess(() => c.search({ ...request, algorithm: "exhaustive" }));
        expect(pooled.map((h) => h.id)).toEqual(exhaustive.map((h) => h.id));
      }),
      { numRuns: 40 },
    );
    // The searches really ran in the workers (not the in-process fallback).
    expect(pool.searchesInWorkers - before).toBeGreaterThanOrEqual(40 * stats.segments * 0.5);
  }, 120_000);

  it.skipIf(!realStorage)("sees a deletion made after the last search, and none made after a search began", async () => {
    if (pool === undefined) return;
    const q = { vector: docVector(5), k: 5 };
    const top = (await c.search(q))[0]!.id;
    const running = c.search(q); // dispatched now: its deletions copy is taken now
    await c.delete([top]);
    expect((await running)[0]!.id).toBe(top);
    const after = await c.search(q);
    expect(after.map((h) => h.id)).not.toContain(top);
    expect(after).toEqual(await inProcess(() => c.search(q)));
  });

  it.skipIf(!realStorage)("replaces a worker thread that died and searches on", async () => {
    if (pool === undefined) return;
    const q = { vector: docVector(123), k: 10 };
    const expected = await inProcess(() => c.search(q));
    const threads = (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
    await Promise.all(threads.map((t) => t.worker.terminate()));
    await new Promise((r) => setTimeout(r, 50)); // the exit events
    const before = pool.searchesInWorkers;
    for (let i = 0; i < 4; i++) expect(await c.search(q)).toEqual(expected);
    expect(pool.searchesInWorkers).toBeGreaterThan(before);
  });

  it.skipIf(!realStorage)("pages and score thresholds: the same hits as the in-process search", async () => {
    if (pool === undefined) return;
    const before = pool.searchesInWorkers;
    await fc.assert(
      fc.asyncProperty(queryArb, fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 40 }), async (q, offset, at) => {
        const vector = SparseVector.fromArrays(q.terms, q.weights, { role: "query" });
        const all = await inProcess(() => c.search({ vector, k: 200, mode: q.mode }));
        const scoreThreshold = all[Math.min(at, all.length - 1)]?.score ?? 1;
        const request = { vector, k: q.k, mode: q.mode, offset, scoreThreshold };
        const pooled = await c.search(request);
        expect(pooled).toEqual(await inProcess(() => c.search(request)));
        expect(pooled.map((h) => h.id)).toEqual(all.filter((h) => h.score >= scoreThreshold).slice(offset, offset + q.k).map((h) => h.id));
      }),
      { numRuns: 25 },
    );
    expect(pool.searchesInWorkers).toBeGreaterThan(before);
  }, 120_000);

  it.skipIf(!realStorage)("settles ties at the last place across segments as the in-process search does", async () => {
    if (pool === undefined) return;
    // The same vector under many ids, segment by segment in the reverse of id order, so each
    // segment's own tie order disagrees with the global one: the pool's results cannot settle
    // it, and the search runs again in-process.
    const ties = await db!.createCollection("ties", { memtableMaxDocs: 10_000 });
    const v = SparseVector.fromArrays([3, 9], [1, 2]);
    const id = (i: number) => `t${String(i).padStart(3, "0")}`;
    for (let seg = 0; seg < 3; seg++) {
      await ties.upsert(Array.from({ length: 50 }, (_, i) => ({ id: id(seg * 50 + 49 - i), vector: v })));
      await ties.flush();
    }
    const before = pool.searchesInWorkers;
    for (const [k, offset] of [[5, 0], [10, 45], [7, 143]] as const) {
      const hits = await ties.search({ vector: v, k, offset });
      expect(hits.map((h) => h.id)).toEqual(Array.from({ length: Math.min(k, 150 - offset) }, (_, i) => id(offset + i)));
    }
    expect(pool.searchesInWorkers).toBeGreaterThan(before);
  });

  it.skipIf(!realStorage)("while the priority rule holds, searches use one thread fewer and queue; the same hits", async () => {
    if (pool === undefined) return;
    const threads = (pool as unknown as { threads: { worker: { postMessage(m: unknown, t?: unknown): void } }[] }).threads;
    expect(threads.length).toBe(2);
    // Record which thread each search is posted to.
    const posted = [0, 0];
    const originals = threads.map((t) => t.worker.postMessage);
    threads.forEach((t, i) => {
      t.worker.postMessage = function (m: unknown, tr?: unknown) {
        if (m instanceof ArrayBuffer) posted[i]!++; // a search (search-message.ts)
        return originals[i]!.call(this, m, tr);
      };
    });
    const queries = Array.from({ length: 30 }, (_, i) => ({ vector: docVector(40_000 + i), k: 10 }));
    const expected = await inProcess(() => Promise.all(queries.map((q) => c.search(q))));
    let busy = true;
    const remove = pool.addPriorityRule(() => busy);
    try {
      const held = pool.dispatchesHeldBack, queued = pool.searchesQueued;
      expect(await Promise.all(queries.map((q) => c.search(q)))).toEqual(expected);
      expect(posted[1]).toBe(0);
      expect(posted[0]).toBeGreaterThanOrEqual(30);
      expect(pool.dispatchesHeldBack).toBeGreaterThan(held);
      expect(pool.searchesQueued).toBeGreaterThan(queued);
      expect(pool.queuedSearches).toBe(0);
      // The rule lifted: both threads take searches again.
      busy = false;
      posted.fill(0);
      expect(await Promise.all(queries.map((q) => c.search(q)))).toEqual(expected);
      expect(posted[0]).toBeGreaterThan(0);
      expect(posted[1]).toBeGreaterThan(0);
    } finally {
      remove();
      threads.forEach((t, i) => (t.worker.postMessage = originals[i]!));
    }
  });

  it.skipIf(!realStorage)("each search applies the deletions as of its start, also when it waited in the queue while more came", async () => {
    if (pool === undefined) return;
    const dels = await db!.createCollection("dels", { memtableMaxDocs: 10_000 });
    await dels.upsert(Array.from({ length: 400 }, (_, i) => ({ id: `e${i}`, vector: docVector(50_000 + i) })));
    await dels.flush();
    const q = { vector: docVector(50_007), k: 10 };
    const ranking = (await inProcess(() => dels.search({ ...q, k: 20 }))).map((h) => h.id);
    // One thread only (the priority rule), so searches wait in the pool's queue and go to the
    // same thread, behind deletions made after they started.
    const remove = pool.addPriorityRule(() => true);
    try {
      const started: { step: number; hits: Promise<{ id: string }[]> }[] = [];
      const queued = pool.searchesQueued;
      for (let step = 0; step < 5; step++) {
        for (let j = 0; j < 3; j++) started.push({ step, hits: dels.search(q) });
        if (step < 4) await dels.delete([ranking[step]!]);
      }
      expect(pool.searchesQueued).toBeGreaterThan(queued);
      for (const s of started) expect((await s.hits).map((h) => h.id)).toEqual(ranking.slice(s.step, s.step + 10));
    } finally {
      remove();
    }
  });

  it.skipIf(!realStorage)("runs filtered searches in-process with the same results", async () => {
    if (pool === undefined) return;
    // Terms of both parities (an even document's terms are all even, an odd one's odd).
    const terms = Array.from({ length: 60 }, (_, i) => i * 7);
    const q = { vector: SparseVector.fromArrays(terms, terms.map((t) => 1 + (t % 5)), { role: "query" }), k: 20, filter: { parity: "even" } };
    const before = pool.searchesInWorkers;
    const hits = await c.search(q);
    expect(pool.searchesInWorkers).toBe(before);
    expect(hits.length).toBe(20);
    expect(hits.every((h) => (h.metadata as { parity: string }).parity === "even")).toBe(true);
    expect(hits).toEqual(await inProcess(() => c.search(q)));
  });
});
