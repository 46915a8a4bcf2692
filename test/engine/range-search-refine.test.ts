import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RANGE_SHIFT } from "../../engine/index/range-layout.js";
import { rangeBound } from "../../engine/search/approximate-calibration.js";
import { documentBound } from "../../engine/search/range-search-reference.js";
import { REFINE_TERMS } from "../../engine/search/kernel-abi.js";
import { makeRangeQuery } from "../../engine/search/range-query.js";
import { rangeSearch } from "../../engine/search/range-search.js";
import { searchSegment } from "../../engine/search/search.js";
import { SparseDbError } from "../../engine/errors.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { bruteForce, caseFilter, makeCorpus, segment } from "./range-corpus.js";

// Per-document bound refinement (range-query.ts, "Document bounds"): a visited range's document is
// skipped when its own bound for the refining terms cannot reach the threshold.
const caseArb = fc.record({
  numDocs: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 900, max: 6000 })),
  vocab: fc.constantFrom(8, 60, 400),
  maxNnz: fc.constantFrom(1, 6, 20),
  tieWeights: fc.boolean(),
  seed: fc.integer(),
  bits: fc.constantFrom(8, 4),
  // Low thresholds give most terms u8 or 4-bit rows, which refinement needs.
  minDenseDf: fc.constantFrom(undefined, 1, 3, 40),
  minNibbleDf: fc.constantFrom(undefined, 1, 2, 30),
  query: fc.dictionary(
    fc.integer({ min: 0, max: 60 }).map(String),
    fc.oneof(fc.constantFrom(1, 0.25, 3, -1), fc.float({ min: Math.fround(-2), max: Math.fround(4), noNaN: true })),
    { minKeys: 0, maxKeys: 12 },
  ),
  k: fc.integer({ min: 1, max: 30 }),
  filter: fc.constantFrom("none", "deletes", "metadata"),
});

describe("range search: per-document bounds", () => {
  it("every refinement level keeps the kernel = the reference (hits, scores, work) = brute force, and refining only lowers the work", () => {
    fc.assert(
      fc.property(caseArb, (p) => {
        const c = makeCorpus(p.numDocs, p.vocab, p.maxNnz, p.tieWeights, p.seed);
        const ix = segment(c, p.bits, p.minDenseDf, p.minNibbleDf);
        const query = SparseVector.fromTermMap(p.query, { role: "query", vocabSize: 5101 });
        const { allowed, filter, excluded } = caseFilter(p.numDocs, p.filter, p.seed ^ 0x2545f491);
        for (const exact of [true, false]) {
          const truth = bruteForce(ix, c, query, p.k, exact, allowed);
          let previous = Infinity;
          for (let refineTerms = 0; refineTerms <= REFINE_TERMS; refineTerms++) {
            const o = { k: p.k, exact, filter, excluded, refineTerms };
            const wasm = rangeSearch(ix, query, o);
            expect(wasm).toEqual(rangeSearch(ix, query, { ...o, reference: true }));
            expect(wasm.hits).toEqual(truth);
            // A skipped document could not have entered the heap, so more terms only skip more.
            expect(wasm.postingsScored).toBeLessThanOrEqual(previous);
            previous = wasm.postingsScored;
          }
          // Approximate knobs with refinement: still the kernel = the reference.
          const approx = { k: p.k, exact, filter, excluded, alpha: 0.7, boundMass: 0.6 };
          expect(rangeSearch(ix, query, approx)).toEqual(rangeSearch(ix, query, { ...approx, reference: true }));
        }
      }),
      // Once seed -1603930812 found the kernel scoring a document the reference skipped: the
      // threshold had risen past the range's own bound while the range was being scored.
      { numRuns: 60 },
    );
  }, 120_000);

  it("a document's bound is at most its range's and at least s times its positive part (what keeps skipping rank-safe)", () => {
    fc.assert(
      fc.property(caseArb, (p) => {
        const c = makeCorpus(p.numDocs, p.vocab, p.maxNnz, p.tieWeights, p.seed);
        const ix = segment(c, p.bits, p.minDenseDf, p.minNibbleDf);
        const query = SparseVector.fromTermMap(p.query, { role: "query", vocabSize: 5101 });
        const rq = makeRangeQuery(ix, query, { k: p.k, exact: true, excluded: 0 });
        const q = new Map(rq.terms.map((t, i) => [t, rq.scoreWeights[i]!]));
        for (let d = 0; d < p.numDocs; d++) {
          const range = rangeBound(ix, rq, d >>> RANGE_SHIFT);
          if (range >= 65535) continue;
          const own = documentBound(ix.ranges, ix.forward, rq, d, range);
          expect(own).toBeLessThanOrEqual(range);
          let positive = 0;
          const v = c.docs[d]!;
          for (let i = 0; i < v.nnz; i++) positive += Math.max(0, q.get(v.terms[i]!) ?? 0) * Math.max(0, v.weights[i]!);
          expect(own + 1e-6).toBeGreaterThanOrEqual(positive * rq.thrScale);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("refineTerms is checked: an integer in 0..REFINE_TERMS", () => {
    const ix = segment(makeCorpus(50, 60, 6, false, 3), 8, 1);
    const query = SparseVector.fromTermMap({ 1: 1, 2: 0.5 }, { role: "query", vocabSize: 60 });
    for (const bad of [-1, 1.5, REFINE_TERMS + 1, "2"]) {
      let err: unknown;
      try {
        searchSegment(ix, query, { k: 5, refineTerms: bad as number });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SparseDbError);
      expect((err as SparseDbError).message).toMatch(/refineTerms must be an integer in 0\.\.4/);
    }
    expect(searchSegment(ix, query, { k: 5, refineTerms: 0 }).hits).toEqual(searchSegment(ix, query, { k: 5 }).hits);
  });
});
