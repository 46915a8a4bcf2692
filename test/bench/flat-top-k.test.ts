import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FlatTopK, flatSearch, type DenseMetric } from "../../bench/hybrid/flat-top-k.js";

/** The textbook answer: score every document, sort by score (ties: lower id), keep k. */
function reference(vectors: Float32Array, dims: number, queries: number[][], k: number, metric: DenseMetric): { ids: number[]; scores: number[] }[] {
  const n = vectors.length / dims;
  return queries.map((q) => {
    const scored: { id: number; key: number; score: number }[] = [];
    for (let d = 0; d < n; d++) {
      let dot = 0, qq = 0, dd = 0;
      for (let j = 0; j < dims; j++) {
        const x = vectors[d * dims + j]!;
        dot += x * q[j]!;
        qq += q[j]! * q[j]!;
        dd += x * x;
      }
      if (metric === "dot") scored.push({ id: d, key: dot, score: dot });
      else if (metric === "cosine") {
        const c = qq === 0 || dd === 0 ? 0 : dot / (Math.sqrt(qq) * Math.sqrt(dd));
        scored.push({ id: d, key: c, score: c });
      } else {
        const sq = qq + dd - 2 * dot;
        scored.push({ id: d, key: -sq, score: Math.sqrt(Math.max(0, sq)) });
      }
    }
    scored.sort((a, b) => b.key - a.key || a.id - b.id);
    const top = scored.slice(0, k);
    return { ids: top.map((s) => s.id), scores: top.map((s) => s.score) };
  });
}

// Small integer coordinates make ties common, so the tie rule is exercised too.
const coordinate = fc.integer({ min: -3, max: 3 });
const instance = fc
  .record({ dims: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 0, max: 700 }), nq: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 12 }), metric: fc.constantFrom<DenseMetric>("dot", "cosine", "l2") })
  .chain((s) =>
    fc.record({
      s: fc.constant(s),
      docs: fc.array(coordinate, { minLength: s.n * s.dims, maxLength: s.n * s.dims }),
      queries: fc.array(fc.array(coordinate, { minLength: s.dims, maxLength: s.dims }), { minLength: s.nq, maxLength: s.nq }),
      cuts: fc.array(fc.integer({ min: 0, max: s.n }), { maxLength: 4 }),
    }),
  );

describe("flat (exact) dense top-k", () => {
  it("equals scoring every document and sorting, for dot, cosine and L2, whatever batches the documents come in", () => {
    fc.assert(
      fc.property(instance, ({ s, docs, queries, cuts }) => {
        const vectors = Float32Array.from(docs);
        const expected = reference(vectors, s.dims, queries, s.k, s.metric);
        expect(flatSearch(vectors, s.dims, queries, s.k, s.metric)).toEqual(expected);
        // Streamed in batches cut at arbitrary places.
        const f = new FlatTopK(queries, s.dims, s.k, s.metric);
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), s.n];
        for (let b = 0; b + 1 < bounds.length; b++) f.add(vectors.subarray(bounds[b]! * s.dims, bounds[b + 1]! * s.dims), bounds[b]!);
        expect(f.results()).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it("finds a planted nearest neighbour among 384-dimensional random vectors", () => {
    const dims = 384, n = 2000;
    const vectors = Float32Array.from({ length: n * dims }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const query = Array.from(vectors.subarray(1234 * dims, 1235 * dims));
    for (const metric of ["dot", "cosine", "l2"] as const) {
      const [hits] = flatSearch(vectors, dims, [query], 5, metric);
      if (metric !== "dot") expect(hits!.ids[0]).toBe(1234);
      expect(hits!.ids).toEqual(reference(vectors, dims, [query], 5, metric)[0]!.ids);
    }
    expect(flatSearch(vectors, dims, [query], 1, "l2")[0]!.scores[0]).toBe(0);
  });

  it("refuses bad arguments clearly", () => {
    expect(() => new FlatTopK([[1, 2]], 3, 10, "dot")).toThrow(/query 0 has 2 values, not 3/);
    expect(() => new FlatTopK([], 3, 0, "dot")).toThrow(/k is 0/);
    expect(() => new FlatTopK([], 3, 1, "hamming" as DenseMetric)).toThrow(/metric is "hamming"/);
    expect(() => new FlatTopK([[1, 2, 3]], 3, 1, "dot").add(new Float32Array(5), 0, 2)).toThrow(/2 documents of 3 need 6/);
  });
});
