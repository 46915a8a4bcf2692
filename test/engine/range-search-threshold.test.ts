import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rangeSearch } from "../../engine/search/range-search.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { bruteForce, caseFilter, makeCorpus, segment } from "./range-corpus.js";

/**
 * The range search's score threshold (minScore, a search's scoreThreshold): it starts the
 * kernel from the threshold, so ranges that cannot reach it are never collected. What it
 * returns at or above the threshold must be exactly brute force's top-k at or above it, for the
 * kernel and the TypeScript reference alike, with any filter and negative query weights.
 */
const caseArb = fc.record({
  numDocs: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 900, max: 5000 })),
  vocab: fc.constantFrom(8, 60, 400),
  maxNnz: fc.constantFrom(1, 6, 20),
  tieWeights: fc.boolean(),
  seed: fc.integer(),
  bits: fc.constantFrom(8, 4, 16),
  minDenseDf: fc.constantFrom(undefined, 1, 40, 1_000_000),
  query: fc.dictionary(
    fc.integer({ min: 0, max: 420 }).map(String),
    fc.oneof(fc.constantFrom(1, 0.25, 3, -1), fc.float({ min: Math.fround(-2), max: Math.fround(4), noNaN: true })),
    { minKeys: 0, maxKeys: 10 },
  ),
  k: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 600 })),
  filter: fc.constantFrom("none", "deletes", "metadata"),
  // Where the threshold falls: at the score of the i-th best hit (a tie at the threshold), or anywhere.
  at: fc.oneof(fc.integer({ min: 0, max: 700 }), fc.double({ min: -3, max: 60, noNaN: true }).map((x) => ({ value: x }))),
});

describe("range search with a score threshold", () => {
  it("kernel = reference, and the hits >= threshold are brute force's top-k >= threshold (exact and fast)", () => {
    let pruned = 0;
    fc.assert(
      fc.property(caseArb, (p) => {
        const c = makeCorpus(p.numDocs, p.vocab, p.maxNnz, p.tieWeights, p.seed);
        const ix = segment(c, p.bits, p.minDenseDf);
        const query = SparseVector.fromTermMap(p.query, { role: "query", vocabSize: 421 });
        const { allowed, filter, excluded } = caseFilter(p.numDocs, p.filter, p.seed ^ 0x2545f491);
        for (const exact of [true, false]) {
          const all = bruteForce(ix, c, query, p.numDocs, exact, allowed);
          const t = typeof p.at === "number" ? (all[Math.min(p.at, all.length - 1)]?.score ?? 1) : p.at.value;
          const o = { k: p.k, exact, filter, excluded, minScore: t };
          const wasm = rangeSearch(ix, query, o);
          const ref = rangeSearch(ix, query, { ...o, reference: true });
          expect(wasm).toEqual(ref);
          const want = all.slice(0, p.k).filter((h) => h.score >= t);
          expect(wasm.hits.filter((h) => h.score >= t)).toEqual(want);
          const unthresholded = rangeSearch(ix, query, { k: p.k, exact, filter, excluded });
          // Never more work than without it (the ranges it scores are a subset of those, in the same order).
          expect(wasm.postingsScored).toBeLessThanOrEqual(unthresholded.postingsScored);
          if (wasm.postingsScored < unthresholded.postingsScored) pruned++;
        }
      }),
      { numRuns: 300 },
    );
    // The threshold does prune: some searches scored fewer postings than without it.
    expect(pruned).toBeGreaterThan(0);
  });

  it("a threshold above every score collects no range at all", () => {
    const c = makeCorpus(4000, 60, 8, false, 7);
    const ix = segment(c, 8, undefined);
    const query = SparseVector.fromTermMap({ 1: 1, 2: 0.5, 30: 2 }, { role: "query", vocabSize: 60 });
    const best = rangeSearch(ix, query, { k: 1, exact: true, filter: undefined }).hits[0]!.score;
    const none = rangeSearch(ix, query, { k: 10, exact: true, filter: undefined, minScore: best * 1.5 });
    expect(none.hits.filter((h) => h.score >= best * 1.5)).toEqual([]);
    expect(none.candidates).toBe(0);
    const some = rangeSearch(ix, query, { k: 10, exact: true, filter: undefined, minScore: best });
    expect(some.hits.filter((h) => h.score >= best).map((h) => h.score)).toEqual([best]);
    expect(some.candidates).toBeGreaterThan(0);
  });
});
