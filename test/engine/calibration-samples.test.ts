import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IndexBuilder } from "../../engine/index/index-builder.js";
import type { SegmentIndex } from "../../engine/index/segment-index.js";
import { MAX_SAMPLE_TERMS, MIN_SAMPLE_TERMS, QUERY_TERMS, queryShape, sampleLength, sampleQuery } from "../../engine/search/calibration-samples.js";
import { SparseVector } from "../../engine/sparse-vector.js";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Documents of 0..maxNnz terms (some empty), skewed term popularity, heavy-tailed weights. */
function corpus(numDocs: number, vocab: number, maxNnz: number, seed: number): SegmentIndex {
  const rnd = lcg(seed);
  const b = new IndexBuilder({ bits: 8, vocabSize: vocab });
  for (let d = 0; d < numDocs; d++) {
    const m: Record<number, number> = {};
    const nnz = Math.floor(rnd() * (maxNnz + 1));
    for (let i = 0; i < nnz; i++) m[Math.floor(vocab * rnd() ** 2)] = Math.fround(0.01 + 3 * rnd() ** 3);
    b.add(SparseVector.fromTermMap(m, { vocabSize: vocab }));
  }
  return b.build();
}

/** The document's terms ordered by decreasing rank key (ties: smaller term first). */
function ranked(ix: SegmentIndex, doc: number, key: (term: number, weight: number) => number): number[] {
  const v = ix.forward.vector(doc);
  return Array.from(v.terms, (t, i) => ({ t, r: key(t, v.weights[i]!) }))
    .sort((a, b) => b.r - a.r || a.t - b.t)
    .map((x) => x.t);
}

describe("calibration samples (pseudo-queries from documents)", () => {
  it("query-like lengths: spread evenly over MIN..MAX_SAMPLE_TERMS across the samples, the shape decreasing from 1", () => {
    const lengths = Array.from({ length: 200 }, (_, i) => sampleLength(i));
    expect(Math.min(...lengths)).toBe(MIN_SAMPLE_TERMS);
    expect(Math.max(...lengths)).toBe(MAX_SAMPLE_TERMS);
    // Evenly spread: each quarter of the range gets about a quarter of the samples.
    const span = MAX_SAMPLE_TERMS - MIN_SAMPLE_TERMS + 1;
    for (let q = 0; q < 4; q++) {
      const inQuarter = lengths.filter((m) => m - MIN_SAMPLE_TERMS >= (q * span) / 4 && m - MIN_SAMPLE_TERMS < ((q + 1) * span) / 4).length;
      expect(inQuarter).toBeGreaterThan(40);
      expect(inQuarter).toBeLessThan(60);
    }
    const sorted = [...lengths].sort((a, b) => a - b);
    expect(sorted[100]).toBeGreaterThanOrEqual(40);
    expect(sorted[100]).toBeLessThanOrEqual(48);
    expect(queryShape(0)).toBe(1);
    for (let i = 1; i < MAX_SAMPLE_TERMS; i++) {
      expect(queryShape(i)).toBeLessThan(queryShape(i - 1));
      expect(queryShape(i)).toBeGreaterThan(0);
    }
    // About half the mass of a 44-term sample in its 5 heaviest terms, as in SPLADE queries.
    const mass = (n: number) => Array.from({ length: n }, (_, i) => queryShape(i)).reduce((a, b) => a + b, 0);
    expect(mass(5) / mass(44)).toBeGreaterThan(0.35);
    expect(mass(5) / mass(44)).toBeLessThan(0.55);
  });

  it("each family takes the document's heaviest terms (by weight, or weight x idf), bounded in length, deterministic", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 150 }), fc.integer(), fc.nat(1000), (n, maxNnz, seed, sample) => {
        const ix = corpus(n, 700, maxNnz, seed);
        const df = ix.ranges.a.termDocFreq;
        const doc = Math.abs(seed) % n;
        const nnz = ix.forward.vector(doc).nnz;
        for (const family of ["top", "shaped", "shaped-idf"] as const) {
          const q = sampleQuery(ix, doc, sample, family);
          if (nnz === 0) {
            expect(q).toBeUndefined();
            continue;
          }
          expect(sampleQuery(ix, doc, sample, family)).toEqual(q);
          const len = Math.min(nnz, family === "top" ? QUERY_TERMS : sampleLength(sample));
          expect(q!.nnz).toBe(len);
          expect(q!.nnz).toBeLessThanOrEqual(MAX_SAMPLE_TERMS);
          const order = ranked(ix, doc, family === "shaped-idf" ? (t, w) => w * Math.log(1 + n / Math.max(1, df[t]!)) : (_, w) => w);
          const want = order.slice(0, len);
          expect(Array.from(q!.terms).sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
          const weightOf = new Map(Array.from(q!.terms, (t, i) => [t, q!.weights[i]!]));
          const v = ix.forward.vector(doc);
          want.forEach((t, r) => {
            // "top" keeps the document's weights; the shaped families weigh the r-th term queryShape(r).
            const w = family === "top" ? v.weights[Array.from(v.terms).indexOf(t)]! : Math.fround(queryShape(r));
            expect(weightOf.get(t)).toBe(w);
          });
        }
      }),
      { numRuns: 80 },
    );
  });
});
