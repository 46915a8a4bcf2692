import { cpSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { fuse } from "../../engine/dense/fusion.js";
import { ReferenceModel } from "./reference-model.js";
import { tempDir } from "./temp-dir.js";

const VOCAB = 24;
const vectorArb = fc
  .uniqueArray(fc.integer({ min: 0, max: VOCAB - 1 }), { minLength: 1, maxLength: 6 })
  .chain((terms) =>
    fc.array(fc.float({ min: Math.fround(0.01), max: 5, noNaN: true }), { minLength: terms.length, maxLength: terms.length }).map((w) => SparseVector.fromArrays(terms, w)),
  );
const idArb = fc.integer({ min: 0, max: 14 }).map((i) => `doc-${i}`);
const DIMS = 3;
// Small integers as values: dense scores tie often, so ties by id are exercised too.
const denseArb = fc.oneof(fc.constant(undefined), fc.array(fc.integer({ min: -3, max: 3 }), { minLength: DIMS, maxLength: DIMS }).map((a) => Float32Array.from(a)));
const metaArb = fc.oneof(fc.constant(undefined), fc.record({ g: fc.integer({ min: 0, max: 2 }), s: fc.string({ maxLength: 4 }) }));

type Op =
  | { op: "upsert"; docs: { id: string; vector: SparseVector; metadata: Record<string, unknown> | undefined; dense?: Float32Array }[] }
  | { op: "delete"; ids: string[] }
  | { op: "flush" }
  | { op: "merge" }
  | { op: "reopen" }
  | { op: "crash" }
  | { op: "search"; query: SparseVector; k: number; filtered: boolean }
  | { op: "dense"; query: SparseVector; dense: Float32Array; k: number; filtered: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.record({ id: idArb, vector: vectorArb, metadata: metaArb, dense: denseArb }, { requiredKeys: ["id", "vector", "metadata"] }), { minLength: 1, maxLength: 4 }).map((docs) => ({ op: "upsert" as const, docs })) },
  { weight: 3, arbitrary: fc.array(idArb, { minLength: 1, maxLength: 3 }).map((ids) => ({ op: "delete" as const, ids })) },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "merge" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "crash" as const }) },
  { weight: 3, arbitrary: fc.record({ query: vectorArb, k: fc.integer({ min: 1, max: 8 }), filtered: fc.boolean() }).map((q) => ({ op: "search" as const, ...q })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ query: vectorArb, dense: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: DIMS, maxLength: DIMS }).map((a) => Float32Array.from(a)), k: fc.integer({ min: 1, max: 8 }), filtered: fc.boolean() })
      .map((q) => ({ op: "dense" as const, ...q })),
  },
);

/** Dense-only and RRF-fused searches equal the model's exact legs (fused by the reference fusion). */
async function checkSameDense(c: CollectionStore, model: ReferenceModel, query: SparseVector, dense: Float32Array, k: number, filtered: boolean): Promise<void> {
  const accept = (m: unknown) => (m as { g?: number } | null)?.g === 1;
  const filter = filtered ? { g: 1 } : undefined;
  const wantDense = model.denseTopK(dense, k, "dot", filtered ? accept : undefined);
  const gotDense = await c.search({ dense, k, filter });
  expect(gotDense.map((h) => [h.id, h.score])).toEqual(wantDense.map((h) => [h.id, h.score]));
  const prefetch = k + 2;
  const want = fuse({ sparse: model.topK(query, prefetch, filtered ? accept : undefined), dense: model.denseTopK(dense, prefetch, "dot", filtered ? accept : undefined) }, "rrf", k);
  const got = await c.search({ vector: query, dense, k, prefetch, filter, fusion: "rrf" });
  expect(got.map((h) => [h.id, h.score])).toEqual(want.map((h) => [h.id, h.score]));
}

async function checkSame(c: CollectionStore, model: ReferenceModel, query: SparseVector, k: number, filtered: boolean): Promise<void> {
  const accept = (m: unknown) => (m as { g?: number } | null)?.g === 1;
  const want = model.topK(query, k, filtered ? accept : undefined);
  for (const algorithm of ["exhaustive", "maxscore", "bmw"] as const) {
    const got = await c.search({ vector: query, k, algorithm, filter: filtered ? { g: 1 } : undefined });
    expect(got.map((h) => h.score)).toEqual(want.map((h) => h.score));
    for (const h of got) {
      const d = model.docs.get(h.id);
      expect(d, `hit ${h.id} is live`).toBeDefined();
      expect(model.score(d!.vector, query)).toBe(h.score);
      expect(h.metadata).toEqual(d!.metadata);
    }
  }
}

describe("Collection round trip against an in-memory model", () => {
  it("any sequence of upserts, deletes, flushes, merges and reopens gives the model's vectors and search results", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.boolean(), fc.constantFrom("always" as const, "batch" as const, "off" as const), async (ops, autoMerge, durability) => {
        const t = tempDir();
        let dir = t.dir;
        let crashes = 0;
        const cleanup = t.cleanup;
        // In batch and off an upsert is applied when it is queued, so writes race background flushes.
        const opts = { durability, memtableMaxDocs: 4, autoMerge, mergePolicy: { floorDocs: 2, mergeFactor: 2 }, dense: { dims: DIMS, metric: "dot" as const, index: "flat" as const } };
        let c = await CollectionStore.open(dir, { ...opts, create: true });
        const model = new ReferenceModel();
        try {
          for (const o of ops) {
            if (o.op === "upsert") {
              await c.upsert(o.docs);
              for (const d of o.docs) model.upsert(d.id, d.vector, d.metadata, d.dense);
            } else if (o.op === "delete") {
              const expected = new Set(o.ids.filter((id) => model.docs.has(id))).size;
              expect(await c.delete(o.ids)).toBe(expected);
              for (const id of o.ids) model.delete(id);
            } else if (o.op === "flush") await c.flush();
            else if (o.op === "merge") await c.forceMerge();
            else if (o.op === "reopen" || (o.op === "crash" && durability !== "always")) {
              // (A crash in batch or off may lose what was acknowledged; the crash tests cover that.)
              await c.close();
              c = await CollectionStore.open(dir, opts);
            } else if (o.op === "crash") {
              // The files as a crash would leave them right now (background work included),
              // opened as a new collection: replays the log instead of a clean close's flush.
              const copy = `${dir}-${++crashes}`;
              cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
              await c.close();
              dir = copy;
              c = await CollectionStore.open(dir, opts);
            } else if (o.op === "dense") await checkSameDense(c, model, o.query, o.dense, o.k, o.filtered);
            else await checkSame(c, model, o.query, o.k, o.filtered);
          }
          expect(c.count()).toBe(model.docs.size);
          for (let i = 0; i < 15; i++) {
            const id = `doc-${i}`;
            const got = await c.get(id);
            const want = model.docs.get(id);
            if (!want) expect(got).toBeNull();
            else {
              expect(got!.vector.equals(want.vector)).toBe(true);
              expect(got!.metadata).toEqual(want.metadata);
              expect(got!.dense).toEqual(want.dense);
            }
          }
          await c.idle();
          expect(c.count()).toBe(model.docs.size);
        } finally {
          await c.close().catch(() => undefined);
          cleanup();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
