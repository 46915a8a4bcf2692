import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SegmentIndex } from "../../engine/index/segment-index.js";
import { makePlan, openCursors } from "../../engine/search/query-plan.js";
import { ALGORITHMS, searchSegment } from "../../engine/search/search.js";
import { TopKCollector, type DocHit } from "../../engine/search/top-k.js";
import type { SearchContext } from "../../engine/search/algorithm.js";
import { blockMaxMaxScoreWindowed } from "../../engine/search/block-max-maxscore.js";
import { exhaustive } from "../../engine/search/exhaustive.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { buildIndex, randomCase } from "./corpus-arbitrary.js";

/** Brute force over the quantized index: integer scores of every matching document. */
function quantizedTopK(ix: SegmentIndex, query: SparseVector, k: number, excluded: Set<number>): DocHit[] {
  const plan = makePlan(ix.inverted, query);
  const qw = new Map(plan.terms.map((t, i) => [t, plan.weights[i]!]));
  const q = ix.inverted.quantizer;
  const hits: DocHit[] = [];
  for (let d = 0; d < ix.numDocs; d++) {
    if (excluded.has(d)) continue;
    const v = ix.forward.vector(d);
    let matched = false;
    let s = 0;
    for (let i = 0; i < v.nnz; i++) {
      const w = qw.get(v.terms[i]!);
      if (w === undefined) continue;
      matched = true;
      s += w * q.quantize(v.weights[i]!);
    }
    if (matched) hits.push({ doc: d, score: s * plan.scoreUnit });
  }
  return hits.sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, k);
}

/** Brute force in float: the true dot product of every document sharing a term with the query. */
function floatTopK(docs: SparseVector[], query: SparseVector, k: number, excluded: Set<number>): DocHit[] {
  const qt = new Set(query.terms);
  const hits: DocHit[] = [];
  docs.forEach((v, d) => {
    if (excluded.has(d) || !Array.from(v.terms).some((t) => qt.has(t))) return;
    hits.push({ doc: d, score: v.dot(query) });
  });
  return hits.sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, k);
}

describe("every algorithm is rank-safe", () => {
  it("quantized mode equals exhaustive brute force over the quantized index", () => {
    fc.assert(
      fc.property(randomCase, ({ docs, query, k, bits, excluded }) => {
        const ix = buildIndex(docs, bits);
        const expected = quantizedTopK(ix, query, k, excluded);
        const filter = excluded.size ? (d: number) => !excluded.has(d) : undefined;
        for (const algorithm of ALGORITHMS) {
          const got = searchSegment(ix, query, { k, algorithm, exact: false, filter }).hits;
          expect({ algorithm, hits: got }).toEqual({ algorithm, hits: expected });
        }
      }),
      { numRuns: 150 },
    );
  });

  it("exact mode equals the float dot-product top-k", () => {
    fc.assert(
      fc.property(randomCase, ({ docs, query, k, bits, excluded }) => {
        const ix = buildIndex(docs, bits);
        const expected = floatTopK(docs, query, k, excluded);
        const filter = excluded.size ? (d: number) => !excluded.has(d) : undefined;
        for (const algorithm of ALGORITHMS) {
          const got = searchSegment(ix, query, { k, algorithm, exact: true, filter }).hits;
          expect({ algorithm, hits: got }).toEqual({ algorithm, hits: expected });
        }
      }),
      { numRuns: 150 },
    );
  });

  const v = (m: Record<string, number>, role: "document" | "query" = "document") =>
    SparseVector.fromTermMap(m, { role, vocabSize: 50 });
  const docs = [v({ 1: 1, 2: 2 }), v({ 2: 1, 3: 0.5 }), v({ 1: 3 }), v({ 4: 1 })];

  it.each(ALGORITHMS)("%s: edge cases", (algorithm) => {
    const ix = buildIndex(docs, 8);
    for (const exact of [true, false]) {
      expect(searchSegment(ix, SparseVector.empty(), { k: 5, algorithm, exact }).hits).toEqual([]);
      expect(searchSegment(ix, v({ 30: 1 }, "query"), { k: 5, algorithm, exact }).hits).toEqual([]);
      // k larger than the corpus returns every matching document
      expect(searchSegment(ix, v({ 1: 1, 2: 1, 3: 1, 4: 1 }, "query"), { k: 100, algorithm, exact }).hits.map((h) => h.doc)).toEqual([
        0, 2, 1, 3,
      ]);
      // negative query weights
      expect(searchSegment(ix, v({ 1: -1, 4: 0.5 }, "query"), { k: 3, algorithm, exact }).hits.map((h) => h.doc)).toEqual([3, 0, 2]);
    }
    const single = buildIndex([v({ 7: 0.7 })], 8);
    expect(searchSegment(single, v({ 7: 2 }, "query"), { k: 10, algorithm }).hits).toEqual([{ doc: 0, score: Math.fround(0.7) * 2 }]);
  });
});

describe("search arguments", () => {
  const ix = buildIndex([SparseVector.fromTermMap({ 1: 1 })], 8);
  const q = SparseVector.fromTermMap({ 1: 1 }, { role: "query" });
  it("rejects a bad k and says what is allowed", () => {
    for (const k of [0, -1, 1.5, NaN, 10_001]) {
      expect(() => searchSegment(ix, q, { k })).toThrow(/k must be an integer in 1\.\.10000/);
    }
    expect(() => searchSegment(ix, q, { k: 50, maxK: 20 })).toThrow(/1\.\.20/);
  });
  it("rejects an unknown algorithm and lists the known ones", () => {
    expect(() => searchSegment(ix, q, { k: 1, algorithm: "bogus" as never })).toThrow(
      /unknown algorithm "bogus"; choose one of: ranges, ranges-ts, exhaustive, taat, maxscore, wand, bmw, bmm, bmp/,
    );
  });
});

describe("block-max MaxScore across many windows", () => {
  it("small windows give the exhaustive top-k", () => {
    fc.assert(
      fc.property(randomCase, fc.constantFrom(32, 64, 96), ({ docs, query, k, bits, excluded }, window) => {
        const ix = buildIndex(docs, bits);
        const filter = excluded.size ? (d: number) => !excluded.has(d) : undefined;
        const run = (algorithm: (ctx: SearchContext) => number) => {
          const plan = makePlan(ix.inverted, query);
          const collector = new TopKCollector(k, 0, false, filter);
          if (plan.terms.length > 0) algorithm({ index: ix.inverted, forward: ix.forward, plan, collector, cursors: () => openCursors(ix.inverted, plan) });
          return collector.results();
        };
        expect(run((ctx) => blockMaxMaxScoreWindowed(ctx, window))).toEqual(run(exhaustive));
      }),
      { numRuns: 100 },
    );
  });
});
