import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SparseDbError } from "../../engine/errors.js";
import { searchSegment } from "../../engine/search/search.js";
import { checkSeismicParams, seismicIndex } from "../../engine/search/seismic-index.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { buildIndex, randomCase } from "./corpus-arbitrary.js";

function denseOf(query: SparseVector): Float64Array {
  const dense = new Float64Array(query.nnz === 0 ? 0 : query.terms[query.nnz - 1]! + 1);
  for (let i = 0; i < query.nnz; i++) dense[query.terms[i]!] = query.weights[i]!;
  return dense;
}

/** Build and query parameters drawn from small values, so lists are cut, blocks small and pruning active. */
const params = fc.record({
  lambda: fc.integer({ min: 1, max: 300 }),
  blockSize: fc.integer({ min: 1, max: 80 }),
  summaryMass: fc.double({ min: 0.05, max: 1, noNaN: true }),
  summaryCap: fc.integer({ min: 1, max: 40 }),
  queryCut: fc.integer({ min: 1, max: 12 }),
  heapFactor: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe("seismic index", () => {
  it("returns real documents with their exact float scores, no duplicates, sorted, filter applied", () => {
    fc.assert(
      fc.property(randomCase, params, (c, p) => {
        const ix = buildIndex(c.docs, c.bits);
        const filter = c.excluded.size > 0 ? (d: number) => !c.excluded.has(d) : undefined;
        const { hits } = searchSegment(ix, c.query, { k: c.k, algorithm: "seismic", seismic: p, filter });
        const dense = denseOf(c.query);
        expect(hits.length).toBeLessThanOrEqual(c.k);
        const seen = new Set<number>();
        for (let i = 0; i < hits.length; i++) {
          const h = hits[i]!;
          expect(h.doc >= 0 && h.doc < ix.numDocs).toBe(true);
          expect(seen.has(h.doc)).toBe(false);
          seen.add(h.doc);
          expect(c.excluded.has(h.doc)).toBe(false);
          expect(h.score).toBe(ix.forward.dot(h.doc, dense));
          if (i > 0) {
            const prev = hits[i - 1]!;
            expect(prev.score > h.score || (prev.score === h.score && prev.doc < h.doc)).toBe(true);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("equals the exact top-k when nothing is cut or skipped (lambda >= df, every query term, heap factor 0)", () => {
    fc.assert(
      fc.property(randomCase, fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 40 }), (c, blockSize, summaryCap) => {
        const ix = buildIndex(c.docs, c.bits);
        const filter = c.excluded.size > 0 ? (d: number) => !c.excluded.has(d) : undefined;
        const seismic = { lambda: ix.numDocs, blockSize, summaryCap, queryCut: Math.max(1, c.query.nnz), heapFactor: 0 };
        const got = searchSegment(ix, c.query, { k: c.k, algorithm: "seismic", seismic, filter }).hits;
        const want = searchSegment(ix, c.query, { k: c.k, exact: true, filter }).hits;
        expect(got).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it("keeps each term's lambda heaviest postings, in blocks of blockSize, and reports its memory", () => {
    const docs: SparseVector[] = [];
    for (let d = 0; d < 500; d++) docs.push(SparseVector.fromTermMap({ 1: Math.fround(((d * 37) % 500) / 100 + 0.01), [2 + (d % 7)]: 1 }, { vocabSize: 20 }));
    const ix = buildIndex(docs, 8);
    const s = seismicIndex(ix, { lambda: 100, blockSize: 16, summaryMass: 1, summaryCap: 8 });
    const blocks = s.termBlockStart;
    expect(blocks[2]! - blocks[1]!).toBe(Math.ceil(100 / 16));
    const kept = Array.from(s.blockDocs.subarray(s.blockDocStart[blocks[1]!]!, s.blockDocStart[blocks[2]!]!));
    expect(kept.length).toBe(100);
    // The 100 heaviest of term 1: weights (d*37 % 500)/100 + 0.01 >= 4.01, i.e. (d*37) % 500 >= 400.
    const want = docs.map((_, d) => d).filter((d) => (d * 37) % 500 >= 400);
    expect(kept).toEqual(want);
    // Term 2..8 have ~72 docs each (< lambda): kept whole.
    expect(s.blockDocStart[blocks[3]!]! - s.blockDocStart[blocks[2]!]!).toBe(docs.filter((_, d) => d % 7 === 0).length);
    expect(s.byteLength()).toBeGreaterThan(s.blockDocs.byteLength);
  });

  it("refuses bad parameters and quantized mode with clear errors", () => {
    expect(() => checkSeismicParams({ lambda: 0 }, 10)).toThrow(SparseDbError);
    expect(() => checkSeismicParams({ heapFactor: 1.5 }, 10)).toThrow(/heapFactor/);
    expect(() => checkSeismicParams({ summaryMass: 0 }, 10)).toThrow(/summaryMass/);
    const ix = buildIndex([SparseVector.fromTermMap({ 1: 1 }, { vocabSize: 5 })], 8);
    const q = SparseVector.fromTermMap({ 1: 1 }, { role: "query", vocabSize: 5 });
    expect(() => searchSegment(ix, q, { k: 1, algorithm: "seismic", exact: false })).toThrow(/float only/);
    expect(() => searchSegment(ix, q, { k: 1, seismic: { lambda: 5 } })).toThrow(/apply to algorithm "seismic" only/);
    expect(() => searchSegment(ix, q, { k: 1, algorithm: "seismic", seismic: { queryCut: 0 } })).toThrow(/queryCut/);
    expect(searchSegment(ix, q, { k: 1, algorithm: "seismic" }).hits).toEqual([{ doc: 0, score: 1 }]);
  });
});
