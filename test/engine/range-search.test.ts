import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KTH_RANKS, WINDOW_RANGES, RANGE_DOCS, PAGE_RANGES } from "../../engine/index/range-layout.js";
import { SegmentIndex } from "../../engine/index/segment-index.js";
import { rangeKernelAvailable, rangeSearch } from "../../engine/search/range-search.js";
import { searchSegment } from "../../engine/search/search.js";
import { SparseDbError } from "../../engine/errors.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { bruteForce, caseFilter, makeCorpus, segment, type Corpus } from "./range-corpus.js";

const caseArb = fc.record({
  // Up to 5 windows of 16384 docs: rare terms then skip whole windows.
  numDocs: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 900, max: 3000 }), fc.integer({ min: 16_000, max: 80_000 })),
  // 5000 terms: the rarest skip whole windows, so their page markers cross them.
  vocab: fc.constantFrom(8, 60, 400, 5000),
  maxNnz: fc.constantFrom(1, 6, 20),
  tieWeights: fc.boolean(),
  seed: fc.integer(),
  bits: fc.constantFrom(8, 4, 1, 12, 16),
  minDenseDf: fc.constantFrom(undefined, 1, 3, 40, 1_000_000),
  // Between the two thresholds a term gets a 4-bit row.
  minNibbleDf: fc.constantFrom(undefined, 1, 2, 30),
  query: fc.dictionary(
    fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 5100 })).map(String),
    fc.oneof(fc.constantFrom(1, 0.25, 3, -1), fc.float({ min: Math.fround(-2), max: Math.fround(4), noNaN: true })),
    { minKeys: 0, maxKeys: 12 },
  ),
  k: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 1200 })),
  filter: fc.constantFrom("none", "deletes", "metadata"),
});

describe("range search", () => {
  it("the WebAssembly kernel is built (npm run build compiles it)", () => {
    expect(rangeKernelAvailable()).toBe(true);
  });

  it("kernel = TypeScript reference (hits, scores, work) = brute force, in exact and fast mode", () => {
    fc.assert(
      fc.property(caseArb, (p) => {
        const c = makeCorpus(p.numDocs, p.vocab, p.maxNnz, p.tieWeights, p.seed);
        const ix = segment(c, p.bits, p.minDenseDf, p.minNibbleDf);
        const query = SparseVector.fromTermMap(p.query, { role: "query", vocabSize: 5101 });
        const { allowed, filter, excluded } = caseFilter(p.numDocs, p.filter, p.seed ^ 0x9e3779b9);
        for (const exact of [true, false]) {
          const o = { k: p.k, exact, filter, excluded };
          const wasm = rangeSearch(ix, query, o);
          const ref = rangeSearch(ix, query, { ...o, reference: true });
          expect(wasm).toEqual(ref);
          expect(wasm.hits).toEqual(bruteForce(ix, c, query, p.k, exact, allowed));
        }
      }),
      { numRuns: 120 },
    );
  });

  it("approximate knobs (alpha, boundMass, maxRanges): neutral values are the exact search; others keep the kernel = the reference, and hits carry true scores", () => {
    const knobs = fc.record({
      alpha: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 2, noNaN: true })),
      boundMass: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 1, noNaN: true })),
      maxRanges: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }), fc.constant(1_000_000)),
    });
    fc.assert(
      fc.property(caseArb, knobs, (p, { alpha, boundMass, maxRanges }) => {
        const c = makeCorpus(p.numDocs, p.vocab, p.maxNnz, p.tieWeights, p.seed);
        const ix = segment(c, p.bits, p.minDenseDf, p.minNibbleDf);
        const query = SparseVector.fromTermMap(p.query, { role: "query", vocabSize: 5101 });
        const { allowed, filter, excluded } = caseFilter(p.numDocs, p.filter, p.seed ^ 0x5bd1e995);
        for (const exact of [true, false]) {
          const o = { k: p.k, exact, filter, excluded };
          const approx = { ...o, alpha, boundMass, maxRanges };
          const scaled = rangeSearch(ix, query, approx);
          expect(scaled).toEqual(rangeSearch(ix, query, { ...approx, reference: true }));
          // alpha >= 1 with every term in the bounds is rank-safe; a cap beyond the ranges changes nothing.
          if (alpha >= 1 && boundMass === 1 && (maxRanges === 0 || maxRanges === 1_000_000)) {
            expect(scaled.hits).toEqual(rangeSearch(ix, query, o).hits);
            if (alpha === 1) expect(scaled).toEqual(rangeSearch(ix, query, o));
            continue;
          }
          // Fewer or other hits, never wrong ones: each is allowed and scored exactly, best first.
          const full = new Map(bruteForce(ix, c, query, p.numDocs, exact, allowed).map((h) => [h.doc, h.score]));
          for (const h of scaled.hits) expect(full.get(h.doc)).toBe(h.score);
          expect(scaled.hits.length).toBeLessThanOrEqual(p.k);
          // The cap bounds the work: at most maxRanges ranges of 4 documents (plus a full scan for negative terms).
          if (exact && maxRanges > 0 && !Object.values(p.query).some((w) => !(w > 0))) {
            let most = 0;
            for (const v of c.docs) most = Math.max(most, v.nnz);
            expect(scaled.postingsScored).toBeLessThanOrEqual(maxRanges * RANGE_DOCS * most);
          }
        }
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it("approximate knobs are checked: alpha in (0, 2], boundMass in (0, 1], maxRanges an integer >= 0, range algorithms only", () => {
    const ix = segment(makeCorpus(50, 60, 6, false, 3), 8, undefined);
    const query = SparseVector.fromTermMap({ 1: 1, 2: 0.5 }, { role: "query", vocabSize: 60 });
    const bad = (o: Record<string, unknown>, message: RegExp) => {
      let err: unknown;
      try {
        searchSegment(ix, query, { k: 5, ...o });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SparseDbError);
      expect((err as SparseDbError).code).toBe("INVALID_ARGUMENT");
      expect((err as SparseDbError).message).toMatch(message);
    };
    bad({ alpha: 2.5 }, /alpha must be a number in \(0, 2\]/);
    bad({ boundMass: 0 }, /boundMass must be a number in \(0, 1\]/);
    bad({ boundMass: 1.5 }, /boundMass must be/);
    bad({ maxRanges: 2.5 }, /maxRanges must be an integer >= 0/);
    bad({ maxRanges: -1 }, /maxRanges must be/);
    bad({ algorithm: "bmw", boundMass: 0.5 }, /need a range algorithm/);
    bad({ algorithm: "seismic", maxRanges: 3 }, /need a range algorithm, not seismic/);
    // Neutral values are accepted everywhere and change nothing.
    expect(searchSegment(ix, query, { k: 5, algorithm: "bmw", boundMass: 1, maxRanges: 0 }).hits).toEqual(searchSegment(ix, query, { k: 5 }).hits);
  });

  it("edge cases: empty query, absent terms, one document, ties, k beyond the corpus, negative terms only", () => {
    const v = (m: Record<string, number>, role: "document" | "query" = "document") => SparseVector.fromTermMap(m, { role, vocabSize: 50 });
    const c: Corpus = { docs: [v({ 1: 1, 2: 2 }), v({ 2: 1, 3: 0.5 }), v({ 1: 3 }), v({ 4: 1 }), v({})], vocab: 50 };
    const ix = segment(c, 8, 1);
    for (const exact of [true, false]) {
      const run = (q: SparseVector, k: number) => rangeSearch(ix, q, { k, exact, filter: undefined }).hits;
      expect(run(SparseVector.empty(), 5)).toEqual([]);
      expect(run(v({ 30: 1 }, "query"), 5)).toEqual([]);
      expect(run(v({ 1: 1, 2: 1, 3: 1, 4: 1 }, "query"), 100).map((h) => h.doc)).toEqual([0, 2, 1, 3]);
      expect(run(v({ 1: -1 }, "query"), 5).map((h) => h.doc)).toEqual([0, 2]);
      expect(run(v({ 1: -1, 4: 0.5 }, "query"), 3).map((h) => h.doc)).toEqual([3, 0, 2]);
    }
    const same: Corpus = { docs: Array.from({ length: 5000 }, () => v({ 7: 0.7, 9: 0.2 })), vocab: 50 };
    const tied = rangeSearch(segment(same, 8, 1), v({ 7: 2 }, "query"), { k: 10, exact: true, filter: undefined }).hits;
    expect(tied).toEqual(Array.from({ length: 10 }, (_, d) => ({ doc: d, score: Math.fround(0.7) * 2 })));
  });
});

describe("range layout", () => {
  it("bounds every weight of every range, dense and rare, and decodes to the forward index's ranges", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer(), fc.constantFrom(1, 5, 100, 10_000), fc.constantFrom(1, 20, 10_000), (n, seed, minDenseDf, minNibbleDf) => {
        const c = makeCorpus(n, 60, 8, false, seed);
        const ix = segment(c, 8, minDenseDf, minNibbleDf);
        const l = ix.ranges;
        // Expected: per (term, range) the largest weight; per term its weights, heaviest first.
        const want = new Map<string, number>();
        const termWeights: number[][] = Array.from({ length: l.numTerms }, () => []);
        c.docs.forEach((d, doc) => {
          for (let i = 0; i < d.nnz; i++) {
            const key = `${d.terms[i]}:${Math.floor(doc / RANGE_DOCS)}`;
            want.set(key, Math.max(want.get(key) ?? 0, d.weights[i]!));
            termWeights[d.terms[i]!]!.push(d.weights[i]!);
          }
        });
        for (const ws of termWeights) ws.sort((a, b) => b - a);
        // Decoded: per (term, range) the bound as a float (level times its step).
        const got = new Map<string, number>();
        for (let t = 0; t < l.numTerms; t++) {
          const row = l.a.termRow[t]!;
          if (row >= 0) {
            for (let r = 0; r < l.stride; r++) if (l.a.rows[row * l.stride + r]! > 0) got.set(`${t}:${r}`, l.a.rows[row * l.stride + r]! * l.step);
            continue;
          }
          if (row <= -2) {
            const n = -2 - row, half = l.stride / 2, step = l.a.nibbleStep[n]!;
            for (let x = 0; x < half; x++) {
              const v = l.a.nibbleRows[n * half + x]!;
              const r = ((x >>> 4) << 5) | (x & 15);
              if ((v & 15) > 0) got.set(`${t}:${r}`, (v & 15) * step);
              if (v >>> 4 > 0) got.set(`${t}:${r + 16}`, (v >>> 4) * step);
            }
            expect(step * 15).toBeGreaterThanOrEqual(termWeights[t]![0] ?? 0);
            continue;
          }
          let page = 0;
          for (let i = l.a.rareStart[t]!; i < l.a.rareStart[t + 1]!; i++) {
            const e = l.a.rare[i]!;
            if (e >> 8 === 0) page += (e & 255) + 1;
            else got.set(`${t}:${page * PAGE_RANGES + (e & 255)}`, (e >> 8) * l.step);
          }
        }
        expect(new Set(got.keys())).toEqual(new Set(want.keys()));
        for (const [key, w] of want) {
          const t = Number(key.split(":")[0]);
          const row = l.a.termRow[t]!;
          const step = row <= -2 ? l.a.nibbleStep[-2 - row]! : l.step;
          const bound = got.get(key)!;
          // An upper bound, and the tightest one its levels allow.
          expect(bound).toBeGreaterThanOrEqual(w * (1 - 1e-12));
          expect(bound - step).toBeLessThan(w);
        }
        // K-th weight lower bounds: at least K documents hold a weight >= the bound.
        for (let t = 0; t < l.numTerms; t++) {
          const ws = termWeights[t]!;
          KTH_RANKS.forEach((rank, j) => {
            const lb = l.a.kthWeight[t * KTH_RANKS.length + j]!;
            if (ws.length < rank) expect(lb).toBe(0);
            else expect(lb).toBeLessThanOrEqual(ws[rank - 1]!);
          });
        }
      }),
      { numRuns: 40 },
    );
  });

  it("pads dense rows to whole windows", () => {
    const c = makeCorpus(20_000, 20, 5, false, 7);
    const l = segment(c, 8, 1).ranges;
    expect(l.stride % WINDOW_RANGES).toBe(0);
    expect(l.stride).toBeGreaterThanOrEqual(l.numRanges);
  });
});

describe("segment files read into the kernel's memory", () => {
  it("are searched where they were read (no copy), with the same hits as the reference", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { nodeFileSystem } = await import("../../storage/file-system.js");
    const { readSegmentFile, writeSegmentFile } = await import("../../storage/segment-file.js");
    const { kernelFilePlacement } = await import("../../engine/search/kernel-memory.js");
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-kernel-"));
    try {
      const c = makeCorpus(20_000, 400, 12, false, 11);
      const built = segment(c, 8, 100, 20);
      await writeSegmentFile(nodeFileSystem, join(dir, "seg"), built.toSections());
      const placement = kernelFilePlacement();
      const { sections } = await readSegmentFile(nodeFileSystem, join(dir, "seg"), placement.into);
      const ix = SegmentIndex.fromSections(sections.meta as Record<string, number>, sections.arrays as never);
      placement.attach(ix);
      const before = { terms: ix.forward.terms, rows: ix.ranges.a.rows, rare: ix.ranges.a.rare };
      expect(before.terms.buffer).toBeInstanceOf(SharedArrayBuffer);
      const query = SparseVector.fromTermMap({ 0: 1, 3: 0.5, 17: 2, 250: 1.5, 390: 3 }, { role: "query", vocabSize: 400 });
      const got = rangeSearch(ix, query, { k: 10, exact: true, filter: undefined });
      expect(ix.forward.terms).toBe(before.terms);
      expect(ix.ranges.a.rows).toBe(before.rows);
      expect(ix.ranges.a.rare).toBe(before.rare);
      expect(got).toEqual(rangeSearch(ix, query, { k: 10, exact: true, filter: undefined, reference: true }));
      expect(got.hits).toEqual(bruteForce(ix, c, query, 10, true, () => true));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
