import { describe, expect, it } from "vitest";
import { BERT_VOCAB_SIZE } from "../../engine/vocabulary.js";
import { hasSharedData, sharedDataDir } from "../../bench/readers/shared-data.js";
import { MSMARCO_DEV_QUERIES, smoothShares } from "../../bench/synthetic/fit-stats.js";
import { defaultStats, fitStats, quantileAt, termsCarrying, type SideStats } from "../../bench/synthetic/stats.js";

function checkSide(side: SideStats): void {
  expect(side.termShare.length).toBe(BERT_VOCAB_SIZE);
  let sum = 0;
  for (const s of side.termShare) {
    if (!(s > 0 && s < 0.05)) expect.fail(`term share ${s} outside (0, 0.05)`);
    sum += s;
  }
  expect(sum).toBeCloseTo(1, 9);
  const { classMinShare, quantiles } = side.weights;
  expect(quantiles.length).toBe(classMinShare.length + 1);
  for (let c = 1; c < classMinShare.length; c++) expect(classMinShare[c]!).toBeLessThan(classMinShare[c - 1]!);
  for (const table of quantiles) {
    expect(table[0]!).toBeGreaterThan(0);
    for (let i = 1; i < table.length; i++) expect(table[i]!).toBeGreaterThanOrEqual(table[i - 1]!);
    expect(quantileAt(table, 0.5)).toBeGreaterThan(0.1);
    expect(quantileAt(table, 0.5)).toBeLessThan(1);
    expect(table[table.length - 1]!).toBeLessThan(5);
  }
}

function topTerms(share: Float64Array, k: number): Set<number> {
  return new Set(Array.from(share.keys()).sort((a, b) => share[b]! - share[a]!).slice(0, k));
}

describe("built-in statistics", () => {
  const stats = defaultStats();

  it("are valid distributions over BERT's vocabulary with the real data's shape", () => {
    expect(stats.vocabSize).toBe(BERT_VOCAB_SIZE);
    expect(stats.source).toMatch(/6980 MS MARCO dev queries/);
    checkSide(stats.documents);
    checkSide(stats.queries);
    expect(stats.queries.nnzMean).toBeCloseTo(43.9, 0);
    expect(stats.documents.nnzMean).toBeGreaterThan(130);
    expect(stats.documents.nnzMean).toBeLessThan(160);
    // Popularity is skewed (a few hundred terms carry half the postings) but has a long tail.
    for (const side of [stats.documents, stats.queries]) {
      expect(termsCarrying(side.termShare, 0.5)).toBeGreaterThan(200);
      expect(termsCarrying(side.termShare, 0.5)).toBeLessThan(2000);
      expect(termsCarrying(side.termShare, 0.9)).toBeGreaterThan(2000);
      expect(termsCarrying(side.termShare, 0.9)).toBeLessThan(10000);
    }
  });
});

describe("smoothShares", () => {
  it("keeps reliable counts in proportion and gives every unseen term a smaller, positive share", () => {
    const counts = new Float64Array(1000);
    for (let r = 0; r < 300; r++) counts[r] = Math.round(20000 / (r + 1)); // Zipf, s = 1
    const shares = smoothShares(counts);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(shares[0]! / shares[9]!).toBeCloseTo(10, 1);
    const smallestSeen = shares[299]!;
    for (let t = 300; t < 1000; t++) {
      expect(shares[t]!).toBeGreaterThan(0);
      expect(shares[t]!).toBeLessThanOrEqual(smallestSeen);
    }
  });
});

describe.skipIf(!hasSharedData(MSMARCO_DEV_QUERIES))("fitStats on the shared data", () => {
  it("fits, from a few hundred vectors per file, statistics close to the built-in ones", async () => {
    const fitted = await fitStats(sharedDataDir(), { limitPerFile: 300 });
    const builtIn = defaultStats();
    expect(fitted.source).toMatch(/at most 300 vectors per file/);
    checkSide(fitted.documents);
    checkSide(fitted.queries);
    expect(Math.abs(fitted.queries.nnzMean - builtIn.queries.nnzMean)).toBeLessThan(0.1 * builtIn.queries.nnzMean);
    // The toy documents (20) are all read: document nnz and weights come from the same vectors.
    expect(fitted.documents.nnzMean).toBeCloseTo(builtIn.documents.nnzMean, 2);
    for (const side of ["documents", "queries"] as const) {
      const a = topTerms(fitted[side].termShare, 100);
      const b = topTerms(builtIn[side].termShare, 100);
      const overlap = [...a].filter((t) => b.has(t)).length;
      expect(overlap, `${side}: top-100 terms in common`).toBeGreaterThan(50);
      const medianFitted = quantileAt(fitted[side].weights.quantiles[0]!, 0.5);
      const medianBuiltIn = quantileAt(builtIn[side].weights.quantiles[0]!, 0.5);
      expect(Math.abs(medianFitted / medianBuiltIn - 1)).toBeLessThan(0.25);
    }
  });
});
