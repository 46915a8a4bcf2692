import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IndexBuilder } from "../../engine/index/index-builder.js";
import { PAGE_RANGES, RangeLayout } from "../../engine/index/range-layout.js";
import { SegmentIndex } from "../../engine/index/segment-index.js";
import {
  calibrate,
  BOUND_MASSES,
  chooseApproximate,
  EXACT_CHOICE,
  PRUNED_ALPHAS,
  SAFETY_MARGIN,
  SAMPLE_QUERIES,
  MIN_CALIBRATION_DOCS,
  MIN_DOCUMENT_MASS,
  pseudoQuery,
  rangeBound,
  recallNeeds,
  segmentCalibration,
} from "../../engine/search/approximate-calibration.js";
import { sampleLength } from "../../engine/search/calibration-samples.js";
import { makeRangeQuery } from "../../engine/search/range-query.js";
import { RecentQueries } from "../../engine/search/recent-queries.js";
import { rangeSearch } from "../../engine/search/range-search.js";
import { SparseVector } from "../../engine/sparse-vector.js";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Skewed term popularity (low ids common), heavy-tailed weights; some documents cluster on a topic. */
function corpus(numDocs: number, vocab: number, seed: number, rows?: [number, number]): SegmentIndex {
  const rnd = lcg(seed);
  const b = new IndexBuilder({ bits: 8, vocabSize: vocab });
  for (let d = 0; d < numDocs; d++) {
    const m: Record<number, number> = {};
    const topic = Math.floor(rnd() * 20) * Math.floor(vocab / 20);
    const nnz = 1 + Math.floor(rnd() * 30);
    for (let i = 0; i < nnz; i++) {
      const t = rnd() < 0.5 ? (topic + Math.floor(rnd() * 30)) % vocab : Math.floor(vocab * rnd() ** 2);
      m[t] = Math.fround(0.01 + 3 * rnd() ** 3);
    }
    b.add(SparseVector.fromTermMap(m, { vocabSize: vocab }));
  }
  const built = b.build();
  if (rows === undefined) return built;
  const [minDenseDf, minNibbleDf] = rows;
  return new SegmentIndex(built.forward, built.quantizer, vocab, RangeLayout.build(built.forward, built.quantizer.maxWeight, vocab, { minDenseDf, minNibbleDf }));
}

function queryOf(rnd: () => number, vocab: number): SparseVector {
  const m: Record<number, number> = {};
  const n = 1 + Math.floor(rnd() * 12);
  for (let i = 0; i < n; i++) m[Math.floor(vocab * rnd() ** 1.5)] = Math.fround(0.05 + 2 * rnd());
  return SparseVector.fromTermMap(m, { role: "query", vocabSize: vocab });
}

/** The layout's own bound of one range for the query: levels decoded from dense rows and rare entries. */
function layoutBound(ix: SegmentIndex, query: SparseVector, range: number): number {
  const rq = makeRangeQuery(ix, query, { k: 10, exact: true, excluded: 0 });
  const l = ix.ranges;
  let bound = 0;
  for (let j = 0; j < rq.dense.length; j += 2) bound += rq.dense[j + 1]! * l.a.rows[rq.dense[j]! + range]!;
  for (let j = 0; j < rq.nibble.length; j += 2) {
    // Range 32g + i is the low nibble of byte 16g + i, range 32g + 16 + i its high nibble.
    const byte = l.a.nibbleRows[rq.nibble[j]! + 16 * Math.floor(range / 32) + (range % 16)]!;
    bound += rq.nibble[j + 1]! * (range % 32 >= 16 ? byte >> 4 : byte & 15);
  }
  for (let j = 0; j < rq.rare.length; j += 3) {
    let page = 0;
    for (let i = rq.rare[j]!; i < rq.rare[j + 1]!; i++) {
      const e = l.a.rare[i]!;
      if (e >> 8 === 0) page += (e & 255) + 1;
      else if (page * PAGE_RANGES + (e & 255) === range) bound += rq.rare[j + 2]! * (e >> 8);
    }
  }
  return Math.min(65535, bound);
}

describe("approximate calibration", () => {
  it("computes each range's bound as the layout holds it (u8 rows, 4-bit rows and rare entries)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer(), fc.constantFrom<[number, number] | undefined>(undefined, [1, 1], [50, 5], [1_000_000, 3]), (n, seed, rows) => {
        const ix = corpus(n, 300, seed, rows);
        const rnd = lcg(seed ^ 0x1234567);
        const query = queryOf(rnd, 300);
        const rq = makeRangeQuery(ix, query, { k: 10, exact: true, excluded: 0 });
        if (rq.terms.length === 0) return;
        for (let r = 0; r < ix.ranges.numRanges; r += 1 + Math.floor(rnd() * 7)) expect(rangeBound(ix, rq, r)).toBe(layoutBound(ix, query, r));
      }),
      { numRuns: 40 },
    );
  });

  it("the recall a query's needs promise at alpha is at most what the search at alpha finds", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 20_000 }),
        fc.integer(),
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.boolean(),
        (n, seed, k, alpha, pseudo) => {
          const ix = corpus(n, 2000, seed);
          const rnd = lcg(seed ^ 0x7654321);
          const query = pseudo ? pseudoQuery(ix, Math.floor(rnd() * n)) : queryOf(rnd, 2000);
          if (query === undefined) return;
          const needs = recallNeeds(ix, query, k);
          const exact = rangeSearch(ix, query, { k, exact: true, filter: undefined }).hits;
          if (needs === undefined) {
            expect(exact).toEqual([]);
            return;
          }
          expect(needs.length).toBe(exact.length);
          const found = new Set(rangeSearch(ix, query, { k, exact: true, filter: undefined, alpha }).hits.map((h) => h.doc));
          const recall = exact.filter((h) => found.has(h.doc)).length;
          let promised = 0;
          for (const x of needs) if (x <= alpha) promised++;
          expect(recall).toBeGreaterThanOrEqual(promised);
          // At alpha = 1 every need is at most 1: the exact search finds them all.
          expect(needs.every((x) => x <= 1)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it("pseudo-queries are a document's heaviest terms", () => {
    const ix = corpus(200, 500, 3);
    for (const d of [0, 17, 199]) {
      const q = pseudoQuery(ix, d);
      const v = ix.forward.vector(d);
      if (v.nnz === 0) {
        expect(q).toBeUndefined();
        continue;
      }
      // The default family: the document's heaviest terms, as many as a query-like length, shaped weights.
      expect(q!.nnz).toBe(Math.min(v.nnz, sampleLength(0)));
      for (const t of q!.terms) expect(Array.from(v.terms)).toContain(t);
    }
  });

  it("a segment too small to calibrate is searched exactly and says so", () => {
    const ix = corpus(MIN_CALIBRATION_DOCS - 1, 500, 5);
    expect(segmentCalibration(ix, 10)).toBeNull();
    expect(chooseApproximate(ix, 10, 0.9)).toEqual(EXACT_CHOICE);
    expect(EXACT_CHOICE).toEqual({ alpha: 1, boundMass: 1, expectedRecall: 1 });
  });

  it("choices: cached per (segment, k); each is the least work among the settings that reach the request on the samples", () => {
    const ix = corpus(12_000, 3000, 11);
    const c = segmentCalibration(ix, 10)!;
    expect(segmentCalibration(ix, 10)).toBe(c);
    expect(segmentCalibration(ix, 5)).not.toBe(c);
    expect(c.samples).toBeGreaterThan(100);
    expect(c.source).toBe("documents");
    const exactWork = c.measure({ alpha: 1, boundMass: 1 }).work;
    let lastWork = 0;
    for (const recall of [0.999, 0.99, 0.95, 0.9, 0.8]) {
      const choice = c.choose(recall);
      expect(c.choose(recall)).toBe(choice);
      if (choice === EXACT_CHOICE) continue;
      const m = c.measure(choice);
      expect(m.lower).toBeGreaterThanOrEqual(c.target(recall));
      expect(c.target(recall)).toBeGreaterThan(recall);
      expect(choice.expectedRecall).toBe(m.mean);
      expect(m.work).toBeLessThan(exactWork);
      // Every pruned setting tried that reaches the target costs at least as much as the choice
      // (the smallest passing alpha per level, never below the last level's; levels are tried while one passes).
      let a = 0;
      for (const boundMass of BOUND_MASSES) {
        if (boundMass < MIN_DOCUMENT_MASS) break;
        while (a < PRUNED_ALPHAS.length && c.measure({ alpha: PRUNED_ALPHAS[a]!, boundMass }).lower < c.target(recall)) a++;
        if (a === PRUNED_ALPHAS.length) break;
        expect(c.measure({ alpha: PRUNED_ALPHAS[a]!, boundMass }).work).toBeGreaterThanOrEqual(m.work);
      }
      // A lower request never costs more.
      if (lastWork > 0) expect(m.work).toBeLessThanOrEqual(lastWork);
      lastWork = m.work;
    }
    // The measured recall never falls below the floor on the same samples.
    for (const alpha of [0.3, 0.6, 0.8, 0.9, 0.97]) expect(c.measuredRecallAt(alpha).mean).toBeGreaterThanOrEqual(c.recallAt(alpha).mean);
    // On this clustered corpus there is room: 0.8 does not need the exact search.
    expect(c.choose(0.8)).not.toBe(EXACT_CHOICE);
    // A fresh calibration of the same data is the same (deterministic samples, work counted, not timed).
    const again = calibrate(ix, 10)!;
    expect(again.needs).toEqual(c.needs);
    expect(again.choose(0.9)).toEqual(c.choose(0.9));
  });

  it("switches once from pseudo-queries to the collection's recent queries when it has enough of them", () => {
    const ix = corpus(6000, 3000, 21);
    const recent = new RecentQueries(SAMPLE_QUERIES);
    const rnd = lcg(77);
    const fromDocs = segmentCalibration(ix, 10, recent)!;
    expect(fromDocs.source).toBe("documents");
    for (let i = 0; i < SAMPLE_QUERIES - 1; i++) recent.add(queryOf(rnd, 3000));
    expect(segmentCalibration(ix, 10, recent)).toBe(fromDocs);
    recent.add(queryOf(rnd, 3000));
    const fromQueries = segmentCalibration(ix, 10, recent)!;
    expect(fromQueries.source).toBe("queries");
    expect(fromQueries.samples).toBeGreaterThan(SAMPLE_QUERIES / 2);
    // Kept from then on (until a merge replaces the segment), however the ring moves on.
    recent.add(queryOf(rnd, 3000));
    expect(segmentCalibration(ix, 10, recent)).toBe(fromQueries);
    const choice = fromQueries.choose(0.9);
    if (choice !== EXACT_CHOICE) expect(fromQueries.measure(choice).lower).toBeGreaterThanOrEqual(0.9 + SAFETY_MARGIN);
  });

  it("the recent-queries ring keeps the latest queries, oldest first, as copies", () => {
    const r = new RecentQueries(3);
    const v = (t: number) => SparseVector.fromTermMap({ [t]: 1 }, { role: "query", vocabSize: 100 });
    r.add(SparseVector.empty());
    expect(r.size).toBe(0);
    for (const t of [1, 2, 3, 4, 5]) r.add(v(t));
    expect(r.size).toBe(3);
    expect(r.queries().map((q) => q.terms[0])).toEqual([3, 4, 5]);
    const q = v(9);
    r.add(q);
    expect(r.queries()[2]).not.toBe(q);
    expect(Array.from(r.queries()[2]!.terms)).toEqual([9]);
  });
});
