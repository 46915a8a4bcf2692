import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SparseDbError } from "../../engine/errors.js";
import { MIN_CALIBRATION_DOCS, segmentCalibration } from "../../engine/search/approximate-calibration.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { tempDir } from "./temp-dir.js";

const VOCAB = 2000;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function docVector(rnd: () => number): SparseVector {
  const m: Record<number, number> = {};
  const topic = Math.floor(rnd() * 20) * 100;
  for (let i = 0, n = 2 + Math.floor(rnd() * 25); i < n; i++) {
    const t = rnd() < 0.5 ? topic + Math.floor(rnd() * 40) : Math.floor(VOCAB * rnd() ** 2);
    m[t] = Math.fround(0.01 + 3 * rnd() ** 3);
  }
  return SparseVector.fromTermMap(m, { vocabSize: VOCAB });
}

function queryVector(rnd: () => number): SparseVector {
  const m: Record<number, number> = {};
  for (let i = 0, n = 3 + Math.floor(rnd() * 10); i < n; i++) m[Math.floor(VOCAB * rnd() ** 1.5)] = Math.fround(0.1 + rnd());
  return SparseVector.fromTermMap(m, { role: "query", vocabSize: VOCAB });
}

async function withCollection(run: (c: CollectionStore) => Promise<void>): Promise<void> {
  const t = tempDir();
  const c = await CollectionStore.open(t.dir, { create: true, durability: "off", autoMerge: false, memtableMaxDocs: 1_000_000 });
  try {
    await run(c);
  } finally {
    await c.close();
    t.cleanup();
  }
}

async function expectInvalid(p: Promise<unknown>, message: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SparseDbError);
  expect((e as SparseDbError).code).toBe("INVALID_ARGUMENT");
  expect((e as SparseDbError).message).toMatch(message);
}

describe("mode approximate", () => {
  it("validates its knob: recall in 0.8..0.999, only with mode approximate, only on the range search", async () => {
    await withCollection(async (c) => {
      await c.upsert([{ id: "a", vector: { 1: 1 } }]);
      const vector = { 1: 1 };
      await expectInvalid(c.search({ vector, k: 1, mode: "approximate", recall: 0.5 }), /recall must be a number in 0.8..0.999/);
      await expectInvalid(c.search({ vector, k: 1, mode: "approximate", recall: 1 }), /use mode "exact"/);
      await expectInvalid(c.search({ vector, k: 1, mode: "approximate", recall: "high" as unknown as number }), /recall must be/);
      await expectInvalid(c.search({ vector, k: 1, mode: "exact", recall: 0.9 }), /recall applies to mode "approximate" only/);
      await expectInvalid(c.search({ vector, k: 1, mode: "approximate", algorithm: "bmw" }), /runs on the range search/);
      await expectInvalid(c.search({ vector, k: 1, mode: "sloppy" as "fast" }), /mode must be "exact" or "fast" or "approximate"/);
      const hits = await c.search({ vector, k: 1, mode: "approximate" });
      expect(hits.map((h) => h.id)).toEqual(["a"]);
      expect(hits.expectedRecall).toBe(1); // the memtable is scored exactly
      expect((await c.search({ vector, k: 1 })).expectedRecall).toBeUndefined();
    });
  });

  it("over segments: true scores, deletes and filters honoured, the recall it states is met on held-out queries", async () => {
    await withCollection(async (c) => {
      const rnd = lcg(99);
      // Two segments big enough to calibrate and a small one that is searched exactly.
      let next = 0;
      for (const size of [6000, 5000, 300]) {
        const docs = [];
        for (let i = 0; i < size; i++, next++) docs.push({ id: `d${next}`, vector: docVector(rnd), metadata: { g: next % 3 } });
        await c.upsert(docs);
        await c.flush();
      }
      const deleted = Array.from({ length: 400 }, (_, i) => `d${i * 7}`);
      await c.delete(deleted);
      const gone = new Set(deleted);
      let found = 0, wanted = 0;
      const stated = new Set<number>();
      for (let q = 0; q < 60; q++) {
        const vector = queryVector(rnd);
        const filter = q % 2 === 0 ? undefined : { g: 1 };
        const exact = await c.search({ vector, k: 10, filter });
        const approx = await c.search({ vector, k: 10, filter, mode: "approximate", recall: 0.9 });
        expect(approx.expectedRecall).toBeGreaterThanOrEqual(0.9);
        expect(approx.expectedRecall).toBeLessThanOrEqual(1);
        stated.add(approx.expectedRecall!);
        const truth = new Map(exact.map((h) => [h.id, h.score]));
        for (const h of approx) {
          expect(gone.has(h.id)).toBe(false);
          if (filter) expect(h.metadata).toEqual({ g: 1 });
          const doc = await c.get(h.id);
          expect(h.score).toBe(doc!.vector.dot(vector));
          if (truth.has(h.id)) found++;
        }
        wanted += exact.length;
        const loose = await c.search({ vector, k: 10, filter, mode: "approximate", recall: 0.999 });
        expect(loose.length).toBe(exact.length);
      }
      // Stated 0.9, measured over the held-out queries (not the calibration's pseudo-queries).
      expect(found / wanted).toBeGreaterThanOrEqual(0.89);
      // The segments were calibrated and scaled (a stated recall below 1), not searched exactly.
      expect(Math.min(...stated)).toBeLessThan(1);
      expect(stated.size).toBe(1);
      // Once 200 approximate queries have been served, each segment recalibrates from them, and
      // the promise still holds on queries it has not seen.
      for (let q = 0; q < 200; q++) await c.search({ vector: queryVector(rnd), k: 10, mode: "approximate", recall: 0.9 });
      const snap = c.snapshot();
      try {
        for (const seg of snap.segments) {
          if (seg.index.numDocs >= MIN_CALIBRATION_DOCS) expect(segmentCalibration(seg.index, 10)!.source).toBe("queries");
        }
      } finally {
        snap.release();
      }
      let foundQ = 0, wantedQ = 0;
      for (let q = 0; q < 60; q++) {
        const vector = queryVector(rnd);
        const exact = new Set((await c.search({ vector, k: 10 })).map((h) => h.id));
        const approx = await c.search({ vector, k: 10, mode: "approximate", recall: 0.9 });
        expect(approx.expectedRecall).toBeGreaterThanOrEqual(0.9);
        for (const h of approx) if (exact.has(h.id)) foundQ++;
        wantedQ += exact.size;
      }
      expect(foundQ / wantedQ).toBeGreaterThanOrEqual(0.89);
      // A merge makes a new segment, calibrated afresh on first use.
      await c.forceMerge();
      const merged = await c.search({ vector: queryVector(rnd), k: 10, mode: "approximate", recall: 0.9 });
      expect(merged.expectedRecall).toBeGreaterThanOrEqual(0.9);
      expect(merged.expectedRecall).toBeLessThan(1);
    });
  }, 120_000);
});
