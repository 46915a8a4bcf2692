import { cpSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { ALGORITHMS } from "../../engine/search/search.js";
import { l2Norm, unitLength } from "../../engine/similarity-metric.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { tempDir } from "./temp-dir.js";

const VOCAB = 20;
// (Weights at least 0.01 in magnitude: one far below float32's resolution next to the others,
// such as 1e-45 beside 4, is dropped when the vector is scaled, as unitLength says.)
const positive = fc.float({ min: Math.fround(0.01), max: 50, noNaN: true });
/** Raw vectors of very different lengths (weights 0.01..50; queries also -5..-0.01), so cosine ranks unlike dot. */
const vectorArb = (role: "document" | "query") =>
  fc.uniqueArray(fc.integer({ min: 0, max: VOCAB - 1 }), { minLength: 1, maxLength: 7 }).chain((terms) =>
    fc
      .array(role === "document" ? positive : fc.oneof(positive, fc.float({ min: -5, max: Math.fround(-0.01), noNaN: true })), { minLength: terms.length, maxLength: terms.length })
      .map((w) => SparseVector.fromArrays(terms, w, { role })),
  );
const idArb = fc.integer({ min: 0, max: 11 }).map((i) => `doc-${i}`);

type Op =
  | { op: "upsert"; docs: { id: string; vector: SparseVector }[] }
  | { op: "bulk"; docs: { id: string; vector: SparseVector }[] }
  | { op: "delete"; ids: string[] }
  | { op: "flush" }
  | { op: "merge" }
  | { op: "reopen" }
  | { op: "crash" }
  | { op: "search"; query: SparseVector; k: number };

const docsArb = fc.array(fc.record({ id: idArb, vector: vectorArb("document") }), { minLength: 1, maxLength: 4 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: docsArb.map((docs) => ({ op: "upsert" as const, docs })) },
  { weight: 1, arbitrary: docsArb.map((docs) => ({ op: "bulk" as const, docs })) },
  { weight: 2, arbitrary: fc.array(idArb, { minLength: 1, maxLength: 3 }).map((ids) => ({ op: "delete" as const, ids })) },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "merge" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "crash" as const }) },
  { weight: 3, arbitrary: fc.record({ query: vectorArb("query"), k: fc.integer({ min: 1, max: 8 }) }).map((q) => ({ op: "search" as const, ...q })) },
);

/** Cosine of two raw vectors in float64; null when they share no term (no hit). */
function cosine(a: SparseVector, b: SparseVector): number | null {
  const dense = new Map<number, number>();
  for (let i = 0; i < b.nnz; i++) dense.set(b.terms[i]!, b.weights[i]!);
  let dot = 0, shared = false;
  for (let i = 0; i < a.nnz; i++) {
    const w = dense.get(a.terms[i]!);
    if (w !== undefined) {
      dot += w * a.weights[i]!;
      shared = true;
    }
  }
  return shared ? dot / (l2Norm(a) * l2Norm(b)) : null;
}

/** Scores are cosines in [-1, 1]; float32 storage of unit vectors keeps them within this. */
const TOLERANCE = 1e-5;

function bruteForce(raw: Map<string, SparseVector>, query: SparseVector, k: number): { id: string; score: number }[] {
  const out: { id: string; score: number }[] = [];
  for (const [id, v] of raw) {
    const s = cosine(v, query);
    if (s !== null) out.push({ id, score: s });
  }
  return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
}

/** Hits equal brute-force cosine: same count, each rank's score within tolerance, each hit's score its own true cosine. */
function expectCosineTopK(hits: { id: string; score: number }[], raw: Map<string, SparseVector>, query: SparseVector, k: number, label: string): void {
  const want = bruteForce(raw, query, k);
  expect(hits.length, label).toBe(want.length);
  expect(new Set(hits.map((h) => h.id)).size, label).toBe(hits.length);
  hits.forEach((h, i) => {
    expect(Math.abs(h.score - want[i]!.score), `${label}: rank ${i}`).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(h.score - cosine(raw.get(h.id)!, query)!), `${label}: ${h.id}'s score is its cosine`).toBeLessThanOrEqual(TOLERANCE);
  });
}

async function* stream<T>(xs: T[]): AsyncGenerator<T> {
  yield* xs;
}

describe('metric "cosine"', () => {
  it("every algorithm's exact search equals brute-force cosine over the raw vectors, and every mode equals a dot collection of unit vectors, through upserts, bulk loads, deletes, flushes, merges, reopens and crashes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 22 }), async (ops) => {
        const t = tempDir("sparsedb-cosine-");
        // The twin holds the unit vectors under "dot": same operations, same segments (no background
        // flushes or merges, whose timing could cut segments differently; fast and approximate
        // mode depend on the segments).
        const opts = { memtableMaxDocs: 1000, autoMerge: false };
        let dir = t.dir, twinDir = `${t.dir}-dot`, crashes = 0;
        let c = await CollectionStore.open(dir, { ...opts, metric: "cosine", create: true });
        let twin = await CollectionStore.open(twinDir, { ...opts, create: true });
        const raw = new Map<string, SparseVector>();
        const unit = (docs: { id: string; vector: SparseVector }[]) => docs.map((d) => ({ id: d.id, vector: unitLength(d.vector, "document") }));
        try {
          for (const o of ops) {
            if (o.op === "upsert") {
              await c.upsert(o.docs);
              await twin.upsert(unit(o.docs));
              for (const d of o.docs) raw.set(d.id, d.vector);
            } else if (o.op === "bulk") {
              await c.bulkLoad(stream(o.docs), { segmentDocs: 2 });
              await twin.bulkLoad(stream(unit(o.docs)), { segmentDocs: 2 });
              for (const d of o.docs) raw.set(d.id, d.vector);
            } else if (o.op === "delete") {
              await c.delete(o.ids);
              await twin.delete(o.ids);
              for (const id of o.ids) raw.delete(id);
            } else if (o.op === "flush") {
              await c.flush();
              await twin.flush();
            } else if (o.op === "merge") {
              await c.forceMerge();
              await twin.forceMerge();
            } else if (o.op === "reopen" || o.op === "crash") {
              if (o.op === "crash") {
                // The files as a crash leaves them: the next open replays the log, which must hold
                // the unit vector (replay scales nothing again).
                const copy = `${t.dir}-crash-${++crashes}`, twinCopy = `${copy}-dot`;
                cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
                cpSync(twinDir, twinCopy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
                dir = copy;
                twinDir = twinCopy;
              }
              await c.close();
              await twin.close();
              c = await CollectionStore.open(dir, { ...opts, metric: "cosine" });
              twin = await CollectionStore.open(twinDir, opts);
            } else {
              for (const algorithm of ALGORITHMS) {
                expectCosineTopK(await c.search({ vector: o.query, k: o.k, algorithm }), raw, o.query, o.k, algorithm);
              }
              const q = unitLength(o.query, "query");
              for (const mode of ["exact", "fast", "approximate"] as const) {
                expect(await c.search({ vector: o.query, k: o.k, mode }), mode).toEqual(await twin.search({ vector: q, k: o.k, mode }));
              }
            }
          }
          expect(c.count()).toBe(raw.size);
          for (const [id, v] of raw) {
            // Stored exactly once scaled, bit for bit, whatever path wrote it and whatever replayed it.
            expect((await c.get(id))!.vector.equals(unitLength(v, "document")), id).toBe(true);
          }
        } finally {
          await c.close().catch(() => undefined);
          await twin.close().catch(() => undefined);
          t.cleanup();
        }
      }),
      { numRuns: 25 },
    );
  }, 300_000);

  it("the log holds the unit vector: a crash image opened as a dot collection replays it unscaled again", async () => {
    const t = tempDir("sparsedb-cosine-wal-");
    const c = await CollectionStore.open(t.dir, { metric: "cosine", create: true });
    try {
      await c.upsert([{ id: "a", vector: SparseVector.fromArrays([1, 2], [3, 4]) }]);
      const copy = `${t.dir}-crash`;
      cpSync(t.dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
      const replayed = await CollectionStore.open(copy, {});
      try {
        const v = (await replayed.get("a"))!.vector;
        expect([...v.weights]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
        expect(replayed.stats().memtableDocs).toBe(1); // from the log, not a segment
      } finally {
        await replayed.close();
      }
    } finally {
      await c.close();
      t.cleanup();
    }
  });

  it("zero vectors: an empty document is stored and never a hit, an empty query has no hits; stats report the metric", async () => {
    const t = tempDir("sparsedb-cosine-zero-");
    const c = await CollectionStore.open(t.dir, { metric: "cosine", create: true });
    try {
      await c.upsert([
        { id: "empty", vector: { terms: [3], weights: [0] } },
        { id: "long", vector: { terms: [1, 2], weights: [30, 40] } },
        { id: "short", vector: { terms: [1], weights: [0.5] } },
      ]);
      expect((await c.get("empty"))!.vector.nnz).toBe(0);
      const hits = await c.search({ vector: { terms: [1, 3], weights: [2, 7] }, k: 5 });
      // Cosine, not dot: "short" points along term 1 exactly, "long" only partly.
      expect(hits.map((h) => h.id)).toEqual(["short", "long"]);
      expect(hits[0]!.score).toBeCloseTo(2 / Math.hypot(2, 7), 6);
      expect(hits[1]!.score).toBeCloseTo((2 * 0.6) / Math.hypot(2, 7), 6);
      expect(await c.search({ vector: { terms: [], weights: [] }, k: 5 })).toEqual([]);
      expect(c.stats().metric).toBe("cosine");
    } finally {
      await c.close();
      t.cleanup();
    }
    await expect(CollectionStore.open(`${t.dir}-x`, { metric: "euclid" as never, create: true })).rejects.toThrow(/metric must be "dot" or "cosine", got "euclid"/);
  });
});
