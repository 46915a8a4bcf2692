import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { compileFilter, type Filter } from "../../engine/filter.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { ReferenceModel } from "./reference-model.js";
import { tempDir } from "./temp-dir.js";

/**
 * offset, scoreThreshold and the new filter operators through the storage collection, over
 * several segments (with deletions and replaced documents) and the memtable, held to brute
 * force (ReferenceModel: score descending, then id ascending), ids and scores alike. Weights are
 * drawn from a few values half of the time, so scores tie often, at page boundaries too: a page
 * must still be exactly the slice of a bigger search.
 */

const VOCAB = 10;
// The tie-prone flavour: every document has term 0 (weight 1 or 2), and queries weigh term 0
// (and maybe term 1), so a handful of distinct scores shared by many documents.
const weightArb = (ties: boolean) => (ties ? fc.constantFrom(1, 2) : fc.float({ min: Math.fround(0.01), max: 5, noNaN: true }));
const vectorArb = (ties: boolean) =>
  fc
    .uniqueArray(fc.integer({ min: ties ? 1 : 0, max: ties ? 3 : VOCAB - 1 }), { minLength: ties ? 0 : 1, maxLength: ties ? 2 : 4 })
    .map((terms) => (ties ? [0, ...terms] : terms))
    .chain((terms) => fc.array(weightArb(ties), { minLength: terms.length, maxLength: terms.length }).map((w) => SparseVector.fromArrays(terms, w)));
const queryArb = (ties: boolean) => (ties ? fc.constantFrom(SparseVector.fromArrays([0], [1]), SparseVector.fromArrays([0, 1], [1, 2]), SparseVector.fromArrays([0, 2, 3], [2, 1, 1])) : vectorArb(false));
const metaArb = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      g: fc.integer({ min: 0, max: 2 }),
      tags: fc.oneof(fc.uniqueArray(fc.constantFrom("a", "b", "c"), { maxLength: 3 }), fc.constant("a")),
      src: fc.record({ site: fc.constantFrom("wiki", "news"), lang: fc.constantFrom("en", null) }, { requiredKeys: [] }),
      note: fc.constantFrom(null, "x"),
    },
    { requiredKeys: [] },
  ),
);
const FILTERS: Filter[] = [
  { tags: { contains: "a" } },
  { tags: { containsAny: ["b", "c"] } },
  { tags: { containsAll: ["a", "b"] } },
  { note: { exists: true } },
  { note: { exists: false } },
  { "src.site": "wiki" },
  { "src.lang": { exists: true }, g: { gte: 1 } },
  { or: [{ "src.site": "news" }, { tags: { contains: "c" } }] },
  { not: { tags: { contains: "a" } } },
];

const caseArb = fc.boolean().chain((ties) =>
  fc.record({
    ties: fc.constant(ties),
    // Batches of documents; a flush after each batch but the last, which stays in the memtable.
    batches: fc.array(fc.array(fc.record({ id: fc.integer({ min: 0, max: 59 }).map((i) => `d${String(i).padStart(2, "0")}`), vector: vectorArb(ties), metadata: metaArb }), { minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 4 }),
    deletes: fc.array(fc.integer({ min: 0, max: 59 }).map((i) => `d${String(i).padStart(2, "0")}`), { maxLength: 6 }),
    queries: fc.array(
      fc.record({
        vector: queryArb(ties),
        // Small depths, so that segments hold more documents than a search takes from them.
        k: fc.integer({ min: 1, max: 5 }),
        offset: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 15 })),
        // The threshold: the score of the i-th best hit (ties at it), or a value in the score range.
        at: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 20, noNaN: true }).map((value) => ({ value }))),
        filter: fc.constantFrom(...FILTERS),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);

const simple = (hits: { id: string; score: number }[]) => hits.map((h) => ({ id: h.id, score: h.score }));

describe("search options against brute force", () => {
  it("offset pages, scoreThreshold and contains/exists/dotted-path filters give brute force's hits, ids and scores", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (p) => {
        const t = tempDir("sparsedb-search-options-");
        const c = await CollectionStore.open(t.dir, { create: true, durability: "off", memtableMaxDocs: 1000, autoMerge: false });
        const model = new ReferenceModel();
        try {
          for (let b = 0; b < p.batches.length; b++) {
            await c.upsert(p.batches[b]!);
            for (const d of p.batches[b]!) model.upsert(d.id, d.vector, d.metadata);
            if (b < p.batches.length - 1) await c.flush();
          }
          await c.delete(p.deletes);
          for (const id of p.deletes) model.delete(id);
          for (const q of p.queries) {
            const all = model.topK(q.vector, 1000);
            for (const algorithm of [undefined, "ranges-ts", "exhaustive", "maxscore"] as const) {
              // A page is the model's slice, and the same slice of one bigger search.
              const page = await c.search({ vector: q.vector, k: q.k, offset: q.offset, algorithm });
              expect(simple(page), `page ${algorithm}`).toEqual(all.slice(q.offset, q.offset + q.k));
              const bigger = await c.search({ vector: q.vector, k: q.offset + q.k + 5, algorithm });
              expect(simple(page)).toEqual(simple(bigger.slice(q.offset, q.offset + q.k)));

              const threshold = typeof q.at === "number" ? (all[Math.min(q.at, all.length - 1)]?.score ?? 1) : q.at.value;
              const above = all.filter((h) => h.score >= threshold);
              const thresholded = await c.search({ vector: q.vector, k: q.k, offset: q.offset, scoreThreshold: threshold, algorithm });
              expect(simple(thresholded), `threshold ${threshold} ${algorithm}`).toEqual(above.slice(q.offset, q.offset + q.k));

              const accept = compileFilter(q.filter);
              const filtered = await c.search({ vector: q.vector, k: q.k, offset: q.offset, filter: q.filter, algorithm });
              expect(simple(filtered), `filter ${JSON.stringify(q.filter)} ${algorithm}`).toEqual(model.topK(q.vector, q.offset + q.k, accept).slice(q.offset));
            }
            // Fast mode ranks by quantized scores (ties galore): pages and thresholds still slice one search.
            const fastAll = await c.search({ vector: q.vector, k: 1000, mode: "fast" });
            const fastPage = await c.search({ vector: q.vector, k: q.k, offset: q.offset, mode: "fast" });
            expect(simple(fastPage)).toEqual(simple(fastAll.slice(q.offset, q.offset + q.k)));
            const fastT = fastAll[Math.min(typeof q.at === "number" ? q.at : 0, fastAll.length - 1)]?.score ?? 1;
            const fastAbove = await c.search({ vector: q.vector, k: q.k, offset: q.offset, mode: "fast", scoreThreshold: fastT });
            expect(simple(fastAbove)).toEqual(simple(fastAll.filter((h) => h.score >= fastT).slice(q.offset, q.offset + q.k)));
          }
        } finally {
          await c.close();
          t.cleanup();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("a tie shared by more documents of one segment than the completion's limit still gives k hits", async () => {
    const t = tempDir("sparsedb-search-big-tie-");
    const c = await CollectionStore.open(t.dir, { create: true, durability: "off", autoMerge: false, memtableMaxDocs: 20_000 });
    try {
      const v = SparseVector.fromArrays([4], [1]);
      await c.upsert(Array.from({ length: 12_000 }, (_, i) => ({ id: `b${String(12_000 - i).padStart(5, "0")}`, vector: v })));
      await c.flush();
      await c.upsert([{ id: "a", vector: v }]);
      const hits = await c.search({ vector: v, k: 3, offset: 2 });
      expect(hits.map((h) => h.score)).toEqual([1, 1, 1]);
      expect(new Set(hits.map((h) => h.id)).size).toBe(3);
      expect((await c.search({ vector: v, k: 1 })).map((h) => h.id)).toEqual(["a"]); // the memtable's is still first
    } finally {
      await c.close();
      t.cleanup();
    }
  });

  it("a document tied at the last place is found whichever segment holds it", async () => {
    // Two segments with the same vector under several ids, inserted in the reverse of id order,
    // so each segment's own tie order (insertion) disagrees with the global one (id).
    const t = tempDir("sparsedb-search-ties-");
    const c = await CollectionStore.open(t.dir, { create: true, durability: "off", autoMerge: false });
    try {
      const v = SparseVector.fromArrays([1, 2], [1, 1]);
      const idsOf = (from: number, n: number) => Array.from({ length: n }, (_, i) => `id${String(from + i).padStart(2, "0")}`);
      await c.upsert(idsOf(10, 10).reverse().map((id) => ({ id, vector: v })));
      await c.flush();
      await c.upsert(idsOf(1, 9).reverse().map((id) => ({ id, vector: v })));
      await c.flush();
      await c.upsert([{ id: "id00", vector: v }]);
      const everything = idsOf(0, 20);
      for (const algorithm of [undefined, "exhaustive", "bmw"] as const) {
        const ids = async (k: number, offset = 0) => (await c.search({ vector: v, k, offset, algorithm })).map((h) => h.id);
        expect(await ids(3)).toEqual(["id00", "id01", "id02"]);
        expect(await ids(2, 3)).toEqual(["id03", "id04"]);
        expect(await ids(3, 9)).toEqual(["id09", "id10", "id11"]);
        expect(await ids(20)).toEqual(everything);
        expect(await ids(5, 18)).toEqual(["id18", "id19"]);
        expect(await ids(2, 20)).toEqual([]);
      }
    } finally {
      await c.close();
      t.cleanup();
    }
  });
});
