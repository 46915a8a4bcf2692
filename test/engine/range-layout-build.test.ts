import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ForwardIndex } from "../../engine/index/forward-index.js";
import { buildArrays, RANGE_LAYOUT_KEYS, type RangeLayoutArrays } from "../../engine/index/range-layout.js";
import { lcg } from "./range-corpus.js";
import { referenceRangeArrays } from "./range-layout-reference.js";

/**
 * The term-major range layout builder against the doc-major reference it replaced: every array
 * bit for bit, over seeded corpora with empty documents, weight ties, zero weights, terms on
 * every side of the dense / 4-bit / rare and KTH_RANKS thresholds, windows of one page and
 * more, and rare terms that skip more than PAGE_RANGES pages.
 */
interface Case {
  numDocs: number;
  vocab: number;
  /** Most terms per document (0: every document empty). */
  maxNnz: number;
  /** Share of documents left empty. */
  empty: number;
  weights: "ties" | "random" | "with zeros";
  minDenseDf: number | undefined;
  minNibbleDf: number | undefined;
  windowPostings: number | undefined;
  u32: boolean;
  seed: number;
}

function forwardOf(c: Case): { forward: ForwardIndex; maxWeight: number } {
  const rnd = lcg(c.seed);
  const docStart = new Uint32Array(c.numDocs + 1);
  const terms: number[] = [];
  const weights: number[] = [];
  let maxWeight = 0;
  for (let d = 0; d < c.numDocs; d++) {
    if (rnd() >= c.empty) {
      const picked = new Set<number>();
      const nnz = Math.floor(rnd() * (c.maxNnz + 1));
      // Skewed popularity: low ids are common, so some terms get rows and others stay rare.
      for (let i = 0; i < nnz; i++) picked.add(Math.floor(c.vocab * rnd() ** 2));
      for (const t of [...picked].sort((a, b) => a - b)) {
        const w = c.weights === "ties" ? [0.5, 1, 2][Math.floor(rnd() * 3)]! : c.weights === "with zeros" && rnd() < 0.2 ? 0 : Math.fround(0.001 + 5 * rnd() ** 3);
        terms.push(t);
        weights.push(w);
        maxWeight = Math.max(maxWeight, w);
      }
    }
    docStart[d + 1] = terms.length;
  }
  const termArray = c.u32 ? Uint32Array.from(terms) : Uint16Array.from(terms);
  return { forward: new ForwardIndex(docStart, termArray, Float32Array.from(weights)), maxWeight };
}

function expectSame(got: RangeLayoutArrays, want: RangeLayoutArrays): void {
  for (const k of RANGE_LAYOUT_KEYS) {
    expect(got[k].constructor, k).toBe(want[k].constructor);
    expect(got[k].length, k).toBe(want[k].length);
    // Bytes, so that float arrays are compared bit for bit (and any difference names its array).
    expect(Buffer.from(got[k].buffer, got[k].byteOffset, got[k].byteLength).equals(Buffer.from(want[k].buffer, want[k].byteOffset, want[k].byteLength)), k).toBe(true);
  }
}

function check(c: Case): void {
  const { forward, maxWeight } = forwardOf(c);
  const options = { minDenseDf: c.minDenseDf, minNibbleDf: c.minNibbleDf };
  expectSame(buildArrays(forward, maxWeight, c.vocab, options, c.windowPostings), referenceRangeArrays(forward, maxWeight, c.vocab, options));
}

const cases = fc.record({
  numDocs: fc.oneof(fc.constantFrom(0, 1, 2, 4, 5, 1023, 1024, 1025), fc.integer({ min: 0, max: 5000 })),
  vocab: fc.integer({ min: 1, max: 400 }),
  maxNnz: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
  empty: fc.constantFrom(0, 0.3, 0.9),
  weights: fc.constantFrom("ties" as const, "random" as const, "with zeros" as const),
  minDenseDf: fc.constantFrom(undefined, 1, 3, 40, 300),
  minNibbleDf: fc.constantFrom(undefined, 1, 2, 30, 200),
  windowPostings: fc.constantFrom(undefined, 1, 500, 20_000),
  u32: fc.boolean(),
  seed: fc.integer(),
});

describe("range layout build", () => {
  it("builds the reference's arrays bit for bit", () => {
    fc.assert(fc.property(cases, check), { numRuns: 150 });
  });

  it("matches the reference where rare terms skip more than PAGE_RANGES pages, in one window and in many", () => {
    // 600,000 documents, almost all empty: gaps of more than 256 pages (262,144 documents).
    for (const windowPostings of [undefined, 1, 50]) {
      check({ numDocs: 600_000, vocab: 30, maxNnz: 6, empty: 0.9995, weights: "random", minDenseDf: undefined, minNibbleDf: undefined, windowPostings, u32: false, seed: 7 });
      check({ numDocs: 600_000, vocab: 30, maxNnz: 6, empty: 0.9995, weights: "ties", minDenseDf: 100, minNibbleDf: 20, windowPostings, u32: true, seed: 8 });
    }
  });

  it("gives terms in at least 1000 documents all three kth weights, as the reference does", () => {
    // Enough documents per term for every rank of KTH_RANKS, with the default thresholds.
    check({ numDocs: 20_000, vocab: 60, maxNnz: 30, empty: 0, weights: "random", minDenseDf: undefined, minNibbleDf: undefined, windowPostings: undefined, u32: false, seed: 3 });
    check({ numDocs: 20_000, vocab: 60, maxNnz: 30, empty: 0.1, weights: "ties", minDenseDf: undefined, minNibbleDf: undefined, windowPostings: 30_000, u32: false, seed: 4 });
  });
});
