import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FlatDenseTopK, flatDenseSearch, type DenseHit } from "../../../engine/dense/flat-dense-search.js";
import { checkDenseMetric, denseScore, denseSimilarity, normalizeDense, type DenseMetric } from "../../../engine/dense/dense-metric.js";

/** The textbook answer: score every accepted row by the metric's formula, sort (ties: lower row), keep k. */
function reference(vectors: Float32Array, dims: number, query: number[], k: number, metric: DenseMetric, accept: (row: number) => boolean = () => true): DenseHit[] {
  const n = vectors.length / dims;
  const scored: DenseHit[] = [];
  for (let row = 0; row < n; row++) {
    if (!accept(row)) continue;
    let dot = 0, sq = 0;
    for (let j = 0; j < dims; j++) {
      const x = vectors[row * dims + j]!;
      dot += x * query[j]!;
      sq += (x - query[j]!) ** 2;
    }
    scored.push({ row, score: metric === "l2" ? -Math.sqrt(sq) : dot });
  }
  scored.sort((a, b) => b.score - a.score || a.row - b.row);
  return scored.slice(0, k);
}

// Small integer coordinates make ties common, so the tie rule is exercised too (and the sums are exact).
const coordinate = fc.integer({ min: -3, max: 3 });
const instance = fc
  .record({ dims: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 0, max: 700 }), nq: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 12 }), metric: fc.constantFrom<DenseMetric>("dot", "cosine", "l2") })
  .chain((s) =>
    fc.record({
      s: fc.constant(s),
      docs: fc.array(coordinate, { minLength: s.n * s.dims, maxLength: s.n * s.dims }),
      queries: fc.array(fc.array(coordinate, { minLength: s.dims, maxLength: s.dims }), { minLength: s.nq, maxLength: s.nq }),
      cuts: fc.array(fc.integer({ min: 0, max: s.n }), { maxLength: 4 }),
      // Which rows a filter keeps: every row, or rows whose id mod m is in a set.
      filter: fc.option(fc.record({ m: fc.integer({ min: 1, max: 7 }), keep: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }) })),
    }),
  );

describe("flat (exact) dense top-k", () => {
  it("equals scoring every accepted row and sorting, for each metric, whatever batches the rows come in", () => {
    fc.assert(
      fc.property(instance, ({ s, docs, queries, cuts, filter }) => {
        const vectors = Float32Array.from(docs);
        const accept = filter === null ? undefined : (row: number) => filter.keep.includes(row % filter.m);
        const expected = queries.map((q) => reference(vectors, s.dims, q, s.k, s.metric, accept));
        queries.forEach((q, i) => expect(flatDenseSearch(vectors, s.dims, q, s.k, s.metric, accept)).toEqual(expected[i]));
        const f = new FlatDenseTopK(queries, s.dims, s.k, s.metric, accept);
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), s.n];
        for (let b = 0; b + 1 < bounds.length; b++) f.add(vectors.subarray(bounds[b]! * s.dims, bounds[b + 1]! * s.dims), bounds[b]!);
        expect(f.results()).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it("scores a row exactly as denseScore does, in 384 dimensions, and finds a planted neighbour", () => {
    const dims = 384, n = 2000;
    const vectors = Float32Array.from({ length: n * dims }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    const query = Array.from(vectors.subarray(1234 * dims, 1235 * dims));
    for (const metric of ["dot", "cosine", "l2"] as const) {
      const hits = flatDenseSearch(vectors, dims, query, 5, metric);
      for (const h of hits) expect(h.score).toBe(denseScore(vectors, dims, h.row, query, metric));
      expect(hits.map((h) => h.row)).toEqual(reference(vectors, dims, query, 5, metric).map((h) => h.row));
    }
    const nearest = flatDenseSearch(vectors, dims, query, 1, "l2")[0]!;
    expect(nearest.row).toBe(1234);
    expect(nearest.score === 0).toBe(true);
  });

  it("refuses bad arguments clearly", () => {
    expect(() => new FlatDenseTopK([[1, 2]], 3, 10, "dot")).toThrow(/query 0 has 2 values, not 3/);
    expect(() => new FlatDenseTopK([], 3, 0, "dot")).toThrow(/k is 0/);
    expect(() => new FlatDenseTopK([], 3, 1, "hamming" as DenseMetric)).toThrow(/metric is "hamming"/);
    expect(() => new FlatDenseTopK([[1, 2, 3]], 3, 1, "dot").add(new Float32Array(5), 0, 2)).toThrow(/2 rows of 3 need 6/);
    expect(() => flatDenseSearch(new Float32Array(5), 3, [1, 2, 3], 1, "dot")).toThrow(/5 floats, not a multiple of dims 3/);
  });
});

describe("dense metrics", () => {
  it("normalises to unit length, leaves a zero vector zero, and scores by the documented rules", () => {
    const u = normalizeDense([3, 4]);
    expect(Array.from(u)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(normalizeDense([0, 0]))).toEqual([0, 0]);
    expect(denseSimilarity([1, 2], [3, 4], "dot")).toBe(11);
    expect(denseSimilarity(u, u, "cosine")).toBeCloseTo(1, 6);
    expect(denseSimilarity([0, 0], [3, 4], "l2")).toBe(-5);
    expect(() => denseSimilarity([1], [1, 2], "dot")).toThrow(/1 and 2 values/);
    expect(checkDenseMetric("l2")).toBe("l2");
    expect(() => checkDenseMetric("manhattan")).toThrow(/dense metric is "manhattan"; use "cosine", "dot" or "l2"/);
  });
});
