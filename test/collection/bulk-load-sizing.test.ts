import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { bulkSegmentLimits } from "../../engine/collection/bulk-loader.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import type { DocumentInput } from "../../engine/requests.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { tempDir } from "./temp-dir.js";

/** Document i with `nnz` postings (distinct terms). */
const doc = (i: number, nnz: number): DocumentInput => ({
  id: `d${i}`,
  vector: SparseVector.fromArrays(
    Array.from({ length: nnz }, (_, t) => t * 3 + (i % 3)),
    Array.from({ length: nnz }, (_, t) => 1 + ((i + t) % 4)),
  ),
});

async function* stream(docs: DocumentInput[]): AsyncGenerator<DocumentInput> {
  for (const d of docs) yield d;
}

/** The reference split: a segment ends at the document that brings it to `docs` documents or `postings` postings. */
function commitPoints(nnz: number[], limits: { docs: number; postings: number }): number[] {
  const points: number[] = [];
  let docs = 0, postings = 0;
  nnz.forEach((n, i) => {
    docs++;
    postings += n;
    if (docs >= limits.docs || postings >= limits.postings) {
      points.push(i + 1);
      docs = postings = 0;
    }
  });
  if (docs > 0) points.push(nnz.length);
  return points;
}

describe("bulk load segment sizing", () => {
  it("ends a segment where the documents or postings limit is reached, and commits each (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 2500 }),
        fc.option(fc.integer({ min: 1, max: 1500 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 4000 }), { nil: undefined }),
        async (nnz, segmentDocs, segmentPostings) => {
          const t = tempDir();
          const c = await CollectionStore.open(t.dir, { create: true, autoMerge: false });
          try {
            const reported: number[] = [];
            const n = await c.bulkLoad(stream(nnz.map((k, i) => doc(i, k))), { segmentDocs, segmentPostings, onCommit: (p) => reported.push(p.committedDocs) });
            const points = commitPoints(nnz, bulkSegmentLimits({ segmentDocs, segmentPostings }));
            expect(n).toBe(nnz.length);
            expect(reported).toEqual(points);
            expect(c.stats().segments).toBe(points.length);
            expect(c.count()).toBe(nnz.length);
            const last = nnz.length - 1;
            expect([...((await c.get(`d${last}`))?.vector.terms ?? [])]).toEqual(Array.from({ length: nnz[last]! }, (_, t) => t * 3 + (last % 3)));
          } finally {
            await c.close();
            t.cleanup();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("keeps the BM25 statistics of loaded text documents, replacements included, as upserts would (property)", async () => {
    const words = ["river", "sea", "bread", "yeast", "the", "bees", "honey", "glacier"];
    const bodyArb = fc.oneof(
      fc.array(fc.constantFrom(...words), { maxLength: 6 }).map((w) => ({ text: w.join(" ") })),
      fc.integer({ min: 1, max: 5 }).map((k) => ({ vector: SparseVector.fromArrays([k, k + 9], [1, 2]) })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(9), bodyArb), { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), async (docs, segmentPostings, reopen) => {
        const a = tempDir(), b = tempDir();
        // One encoder per open collection.
        const opts = () => ({ create: true, encoder: new Bm25Encoder({ kind: "bm25", stopwords: "english" }) });
        let bulk = await CollectionStore.open(a.dir, opts());
        const upserted = await CollectionStore.open(b.dir, opts());
        try {
          const inputs: DocumentInput[] = docs.map(([i, body]) => ({ id: `d${i}`, ...body }));
          await bulk.bulkLoad(stream(inputs), { segmentPostings });
          for (const d of inputs) await upserted.upsert([d]);
          if (reopen) {
            await bulk.close();
            bulk = await CollectionStore.open(a.dir, opts());
          }
          expect(bulk.corpusStatistics()).toEqual(upserted.corpusStatistics());
          expect(bulk.count()).toBe(upserted.count());
        } finally {
          await bulk.close();
          await upserted.close();
          a.cleanup();
          b.cleanup();
        }
      }),
      { numRuns: 30 },
    );
  });

  it("sizes segments by memory when segmentDocs is not given, by count alone when it is", () => {
    expect(bulkSegmentLimits({})).toEqual({ docs: 500_000, postings: 2 ** 24 });
    expect(bulkSegmentLimits({ segmentDocs: 7 })).toEqual({ docs: 7, postings: Infinity });
    expect(bulkSegmentLimits({ segmentPostings: 100 })).toEqual({ docs: 500_000, postings: 100 });
    expect(() => bulkSegmentLimits({ segmentPostings: 0 })).toThrow(/segmentPostings must be a positive integer/);
    expect(() => bulkSegmentLimits({ segmentDocs: 1.5 })).toThrow(/segmentDocs must be a positive integer/);
  });
});
