import { describe, expect, it } from "vitest";
import { ClusteredDenseGenerator } from "../../bench/hybrid/dense-generator.js";
import { generateDocumentBatch, generateQueries } from "../../bench/synthetic/generator.js";

const SEED = 7;
const gen = () => new ClusteredDenseGenerator({ seed: SEED, clusters: 16 });
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const row = (m: Float32Array, i: number, d: number) => m.subarray(i * d, (i + 1) * d);

describe("clustered synthetic dense vectors", () => {
  const sparse = generateDocumentBatch(0, 2000, { seed: SEED });
  const { dense, clusters } = gen().documentBatch(sparse);
  const d = 384;

  it("are a pure function of the seed, the same whatever range or batch size they are generated in", () => {
    expect(Buffer.from(gen().documentBatch(sparse).dense.buffer).equals(Buffer.from(dense.buffer))).toBe(true);
    const streamed = [...gen().documents(2000, { seed: SEED }, 333)];
    expect(streamed.map((b) => b.firstDoc)).toEqual([0, 333, 666, 999, 1332, 1665, 1998]);
    streamed.forEach((b) => {
      expect(Buffer.from(b.dense.buffer, b.dense.byteOffset, b.dense.byteLength).equals(Buffer.from(dense.buffer, b.firstDoc * d * 4, b.count * d * 4))).toBe(true);
      expect([...b.clusters]).toEqual([...clusters.subarray(b.firstDoc, b.firstDoc + b.count)]);
    });
    const middle = gen().documentBatch(generateDocumentBatch(1500, 10, { seed: SEED }));
    expect([...middle.dense]).toEqual([...dense.subarray(1500 * d, 1510 * d)]);
    const other = new ClusteredDenseGenerator({ seed: SEED + 1, clusters: 16 }).documentBatch(sparse).dense;
    expect(Math.abs(dot(row(other, 0, d), row(dense, 0, d)))).toBeLessThan(0.5);
  });

  it("have length 1 and the requested size", () => {
    expect(dense.length).toBe(2000 * d);
    for (let i = 0; i < 2000; i += 97) expect(Math.sqrt(dot(row(dense, i, d), row(dense, i, d)))).toBeCloseTo(1, 5);
    const small = new ClusteredDenseGenerator({ seed: 1, dims: 8, clusters: 3 });
    expect(small.documentVector(5, 2).length).toBe(8);
  });

  it("put each document in the cluster whose hashed terms carry most of its weight", () => {
    const g = gen();
    for (let i = 0; i < 200; i++) {
      const from = sparse.docOffsets[i]!, to = sparse.docOffsets[i + 1]!;
      const sums = new Map<number, number>();
      for (let p = from; p < to; p++) sums.set(g.termCluster(sparse.terms[p]!), (sums.get(g.termCluster(sparse.terms[p]!)) ?? 0) + sparse.weights[p]!);
      const best = [...sums.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
      expect(clusters[i]).toBe(best);
    }
    expect(g.clusterOf([], [])).toBe(0);
    // Every cluster is used (16 clusters, 2000 documents).
    expect(new Set(clusters).size).toBe(16);
  });

  it("are clustered: documents of one cluster are near each other and near their centroid, others are not", () => {
    const g = gen();
    let within = 0, withinN = 0, across = 0, acrossN = 0, toCentroid = 0;
    for (let i = 0; i < 400; i++) {
      toCentroid += dot(row(dense, i, d), g.centroid(clusters[i]!)) / 400;
      for (let j = i + 1; j < 400; j++) {
        const c = dot(row(dense, i, d), row(dense, j, d));
        if (clusters[i] === clusters[j]) (within += c), withinN++;
        else (across += c), acrossN++;
      }
    }
    // Expected: 1 / (1 + 0.8^2) = 0.61 within, about 0 across, 1 / sqrt(1 + 0.8^2) = 0.78 to the centroid.
    expect(within / withinN).toBeGreaterThan(0.5);
    expect(within / withinN).toBeLessThan(0.72);
    expect(Math.abs(across / acrossN)).toBeLessThan(0.05);
    expect(toCentroid).toBeGreaterThan(0.7);
  });

  it("give each query a vector near the centroid of its sparse vector's cluster, deterministically", () => {
    const g = gen();
    const queries = generateQueries(50, { seed: 99 });
    queries.forEach((q, i) => {
      const { vector, cluster } = g.queryVector(i, q);
      expect(cluster).toBe(g.clusterOf(q.terms, q.weights));
      expect(dot(vector, g.centroid(cluster))).toBeGreaterThan(0.6);
      expect([...gen().queryVector(i, q).vector]).toEqual([...vector]);
    });
    // The same sparse vector as another query index gets another offset.
    expect([...g.queryVector(1, queries[0]!).vector]).not.toEqual([...g.queryVector(0, queries[0]!).vector]);
  });

  it("refuses bad options", () => {
    expect(() => new ClusteredDenseGenerator({ seed: 1, dims: 0 })).toThrow(/dims is 0/);
    expect(() => new ClusteredDenseGenerator({ seed: 1, clusters: 1.5 })).toThrow(/clusters is 1.5/);
    expect(() => new ClusteredDenseGenerator({ seed: 1, noise: -1 })).toThrow(/noise is -1/);
    expect(() => [...gen().documents(-1, { seed: 1 })]).toThrow(/count is -1/);
  });
});
