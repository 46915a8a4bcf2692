import { describe, expect, it } from "vitest";
import { SparseDbError } from "../../engine/errors.js";
import { BERT_VOCAB_SIZE } from "../../engine/vocabulary.js";
import {
  DEFAULT_DOCUMENT_NNZ,
  batchVector,
  expectedDocumentFrequency,
  generateDocumentBatch,
  generateDocuments,
  generateQueries,
  type DocumentBatch,
} from "../../bench/synthetic/generator.js";
import { defaultStats, type CorpusStats, type SideStats } from "../../bench/synthetic/stats.js";

/** Hand-made statistics over a 64-term vocabulary: term t has share proportional to 1 / (t + 1). */
function tinyStats(weightTable: number[] = [0.1, 0.5, 2]): CorpusStats {
  const raw = Float64Array.from({ length: 64 }, (_, t) => 1 / (t + 1));
  const sum = raw.reduce((a, b) => a + b, 0);
  const side: SideStats = {
    termShare: raw.map((x) => x / sum),
    nnzMean: 6,
    nnz: { kind: "quantiles", relative: [0.5, 1, 1.5] },
    weights: { classMinShare: [0.05], quantiles: [weightTable, weightTable.map((w) => w * 2)] },
  };
  return { vocabSize: 64, source: "hand-made", documents: side, queries: side };
}

function docArrays(batch: DocumentBatch, i: number): { terms: number[]; weights: number[] } {
  const from = batch.docOffsets[i]!;
  const to = batch.docOffsets[i + 1]!;
  return { terms: Array.from(batch.terms.subarray(from, to)), weights: Array.from(batch.weights.subarray(from, to)) };
}

/** Byte equality of typed arrays (vitest's deep equality is slow on hundreds of thousands of elements). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe("synthetic documents", () => {
  const batch = generateDocumentBatch(0, 3000, { seed: 42 });

  it("are a pure function of the seed, and differ between seeds", () => {
    const again = generateDocumentBatch(0, 3000, { seed: 42 });
    expect(sameBytes(again.docOffsets, batch.docOffsets)).toBe(true);
    expect(sameBytes(again.terms, batch.terms)).toBe(true);
    expect(sameBytes(again.weights, batch.weights)).toBe(true);
    const other = generateDocumentBatch(0, 3000, { seed: 43 });
    expect(sameBytes(other.terms, batch.terms)).toBe(false);
    let sameDocs = 0;
    for (let i = 0; i < 100; i++) if (JSON.stringify(docArrays(other, i)) === JSON.stringify(docArrays(batch, i))) sameDocs++;
    expect(sameDocs).toBe(0);
  });

  it("give the same document whatever range it is generated in", () => {
    const middle = generateDocumentBatch(1234, 50, { seed: 42 });
    expect(middle.firstDoc).toBe(1234);
    for (let i = 0; i < 50; i++) expect(docArrays(middle, i)).toEqual(docArrays(batch, 1234 + i));
    const one = [...generateDocuments(5, { seed: 42 })];
    for (let i = 0; i < 5; i++) {
      expect(Array.from(one[i]!.terms)).toEqual(docArrays(batch, i).terms);
      expect(Array.from(one[i]!.weights)).toEqual(docArrays(batch, i).weights);
    }
  });

  it("hold strictly increasing term ids in the vocabulary, and finite positive weights", () => {
    expect(batch.docOffsets[0]).toBe(0);
    expect(batch.docOffsets[batch.count]).toBe(batch.terms.length);
    expect(batch.weights.length).toBe(batch.terms.length);
    for (let i = 0; i < batch.count; i++) {
      const from = batch.docOffsets[i]!;
      const to = batch.docOffsets[i + 1]!;
      expect(to).toBeGreaterThan(from);
      for (let j = from; j < to; j++) {
        if (j > from && !(batch.terms[j]! > batch.terms[j - 1]!)) expect.fail(`doc ${i}: terms not strictly increasing at ${j}`);
        if (!(batch.terms[j]! < BERT_VOCAB_SIZE)) expect.fail(`doc ${i}: term ${batch.terms[j]} outside the vocabulary`);
        const w = batch.weights[j]!;
        if (!(Number.isFinite(w) && w > 0)) expect.fail(`doc ${i}: weight ${w} is not finite and positive`);
      }
    }
    // SparseVector's own checks (documents reject negative or NaN weights, duplicates).
    expect(batchVector(batch, 7).nnz).toBe(batch.docOffsets[8]! - batch.docOffsets[7]!);
  });

  it("have the target mean number of non-zeros, with a real spread", () => {
    const nnz = Array.from({ length: batch.count }, (_, i) => batch.docOffsets[i + 1]! - batch.docOffsets[i]!);
    const mean = nnz.reduce((a, b) => a + b, 0) / nnz.length;
    expect(mean).toBeGreaterThan(DEFAULT_DOCUMENT_NNZ - 3);
    expect(mean).toBeLessThan(DEFAULT_DOCUMENT_NNZ + 3);
    const sd = Math.sqrt(nnz.reduce((a, b) => a + (b - mean) ** 2, 0) / nnz.length);
    expect(sd).toBeGreaterThan(10);
    const small = generateDocumentBatch(0, 2000, { seed: 1, avgNnz: 30 });
    expect(small.terms.length / small.count).toBeGreaterThan(28.5);
    expect(small.terms.length / small.count).toBeLessThan(31.5);
  });

  it("hold each term about as often as its fitted popularity says", () => {
    const expected = expectedDocumentFrequency({});
    const df = new Float64Array(BERT_VOCAB_SIZE);
    for (const t of batch.terms) df[t]! += 1;
    const byPopularity = Array.from(expected.keys()).sort((a, b) => expected[b]! - expected[a]!);
    for (const rank of [0, 1, 5, 20, 100]) {
      const t = byPopularity[rank]!;
      const p = expected[t]!;
      const sd = Math.sqrt((p * (1 - p)) / batch.count);
      expect(Math.abs(df[t]! / batch.count - p), `term of rank ${rank}`).toBeLessThan(5 * sd + 0.01 * p);
    }
    // The sum of inclusion probabilities is the mean nnz.
    expect(expected.reduce((a, b) => a + b, 0)).toBeCloseTo(DEFAULT_DOCUMENT_NNZ, 0);
  });

  it("weigh rare terms more than common ones, as the real documents do", () => {
    const expected = expectedDocumentFrequency({});
    const common: number[] = [];
    const rare: number[] = [];
    for (let j = 0; j < batch.terms.length; j++) {
      const p = expected[batch.terms[j]!]!;
      if (p > 0.05) common.push(batch.weights[j]!);
      else if (p < 0.005) rare.push(batch.weights[j]!);
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(common.length).toBeGreaterThan(1000);
    expect(rare.length).toBeGreaterThan(1000);
    expect(mean(rare)).toBeGreaterThan(mean(common));
  });

  it("follow caller-given statistics", () => {
    const stats = tinyStats();
    const tiny = generateDocumentBatch(0, 2000, { seed: 5, stats, avgNnz: 6 });
    expect(tiny.terms.every((t) => t < 64)).toBe(true);
    expect(tiny.terms.length / tiny.count).toBeGreaterThan(5.7);
    expect(tiny.terms.length / tiny.count).toBeLessThan(6.3);
    // Class 0 (share >= 0.05: terms 0..3) weighs 0.1..2, class 1 twice that.
    for (let j = 0; j < tiny.terms.length; j++) {
      const [lo, hi] = tiny.terms[j]! < 4 ? [0.1, 2] : [0.2, 4];
      if (!(tiny.weights[j]! >= lo - 1e-6 && tiny.weights[j]! <= hi + 1e-6)) expect.fail(`weight ${tiny.weights[j]} of term ${tiny.terms[j]}`);
    }
    const df0 = tiny.terms.filter((t) => t === 0).length / tiny.count;
    const df63 = tiny.terms.filter((t) => t === 63).length / tiny.count;
    expect(df0).toBeGreaterThan(5 * df63);
    expect(() => generateDocumentBatch(0, 1, { seed: 1, stats: tinyStats([0, 1]), avgNnz: 6 })).toThrow(/> 0/);
  });

  it("reject bad arguments with a clear error", () => {
    expect(() => generateDocumentBatch(0, 10, { seed: 1.5 })).toThrow(SparseDbError);
    expect(() => generateDocumentBatch(-1, 10, { seed: 1 })).toThrow(/firstDoc/);
    expect(() => generateDocumentBatch(0, 10, { seed: 1, avgNnz: 0 })).toThrow(/avgNnz/);
    expect(() => generateQueries(-3, { seed: 1 })).toThrow(/count/);
  });
});

describe("synthetic queries", () => {
  const queries = generateQueries(2000, { seed: 42 });

  it("are a pure function of the seed, and not the documents of the same seed", () => {
    const again = generateQueries(2000, { seed: 42 });
    for (let i = 0; i < queries.length; i++) expect(again[i]!.equals(queries[i]!)).toBe(true);
    const other = generateQueries(50, { seed: 7 });
    expect(other.filter((q, i) => q.equals(queries[i]!)).length).toBe(0);
    const docs = generateDocumentBatch(0, 10, { seed: 42, avgNnz: 44 });
    expect(Array.from(queries[0]!.terms)).not.toEqual(docArrays(docs, 0).terms);
  });

  it("have about 44 non-zeros, distinct sorted terms and positive weights", () => {
    const mean = queries.reduce((a, q) => a + q.nnz, 0) / queries.length;
    const target = defaultStats().queries.nnzMean;
    expect(target).toBeGreaterThan(40);
    expect(target).toBeLessThan(48);
    expect(Math.abs(mean - target)).toBeLessThan(2);
    for (const q of queries) {
      for (let i = 1; i < q.nnz; i++) if (!(q.terms[i]! > q.terms[i - 1]!)) expect.fail("query terms not increasing");
      for (const w of q.weights) if (!(Number.isFinite(w) && w > 0)) expect.fail(`query weight ${w}`);
    }
    const custom = generateQueries(500, { seed: 3, avgNnz: 20 });
    expect(custom.reduce((a, q) => a + q.nnz, 0) / 500).toBeCloseTo(20, -0.5);
  });
});
