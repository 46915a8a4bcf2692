import { beforeAll, describe, expect, it } from "vitest";
import { defaultQuantization, flatIsCheaper, FLAT_BELOW_ROWS, HnswDenseIndex } from "../../../engine/dense/hnsw-dense-index.js";
import { flatDenseSearch, type DenseHit } from "../../../engine/dense/flat-dense-search.js";
import { loadUsearch, USEARCH_INSTALL_HINT } from "../../../engine/dense/usearch-module.js";
import { ClusteredDenseGenerator } from "../../../bench/hybrid/dense-generator.js";
import { generateDocumentBatch, generateQueries } from "../../../bench/synthetic/generator.js";

// A small clustered corpus (the benchmark's generator at 48 dims): 4000 rows, 40 queries.
const DIMS = 48, ROWS = 4000, K = 10;
const gen = new ClusteredDenseGenerator({ seed: 7, dims: DIMS, clusters: 64 });
const matrix = gen.documentBatch(generateDocumentBatch(0, ROWS, { seed: 7 })).dense.slice();
const queries = generateQueries(40, { seed: 99 }).map((q, i) => gen.queryVector(i, q).vector);

function recall(found: DenseHit[], truth: DenseHit[]): number {
  const t = new Set(truth.map((h) => h.row));
  return found.filter((h) => t.has(h.row)).length / Math.max(1, truth.length);
}

/** Mean recall@K against flat, and a check that every common row has the flat score exactly. */
function compareWithFlat(index: HnswDenseIndex, m: Float32Array, accept?: (row: number) => boolean): number {
  let sum = 0;
  for (const q of queries) {
    const truth = flatDenseSearch(m, DIMS, q, K, index.metric, accept);
    const found = index.search(q, K, accept);
    const exact = new Map(truth.map((h) => [h.row, h.score]));
    for (const h of found) {
      if (accept !== undefined) expect(accept(h.row)).toBe(true);
      if (exact.has(h.row)) expect(h.score).toBe(exact.get(h.row));
    }
    for (let i = 1; i < found.length; i++) expect(found[i - 1]!.score > found[i]!.score || (found[i - 1]!.score === found[i]!.score && found[i - 1]!.row < found[i]!.row)).toBe(true);
    sum += recall(found, truth);
  }
  return sum / queries.length;
}

let index: HnswDenseIndex;
beforeAll(async () => {
  index = await HnswDenseIndex.build(matrix, DIMS, "cosine", { threads: 1 });
});

describe("HNSW dense index (usearch)", () => {
  it("finds the flat top-k (recall@10 >= 0.95) with the flat scores, at the default settings", () => {
    expect(index.options.quantization).toBe(defaultQuantization("cosine"));
    expect(compareWithFlat(index, matrix)).toBeGreaterThanOrEqual(0.95);
    expect(index.lastSearch.path).toBe("hnsw");
  });

  it("round-trips through serialize and load: the same hits", async () => {
    const bytes = index.serialize();
    const loaded = await HnswDenseIndex.load(bytes, matrix, DIMS, "cosine");
    expect(loaded.options).toEqual({ ...index.options, threads: 0 });
    for (const q of queries) expect(loaded.search(q, K)).toEqual(index.search(q, K));
    // Byte for byte (Buffer.equals: a deep toEqual over half a megabyte takes seconds).
    expect(Buffer.from(loaded.serialize()).equals(Buffer.from(bytes))).toBe(true);
  });

  it("refuses damaged or mismatched bytes with CORRUPTION, before usearch reads them", async () => {
    const bytes = index.serialize();
    const flipped = bytes.slice();
    flipped[bytes.length - 7]! ^= 0x10;
    await expect(HnswDenseIndex.load(flipped, matrix, DIMS, "cosine")).rejects.toMatchObject({ code: "CORRUPTION", message: expect.stringMatching(/checksum mismatch/) });
    await expect(HnswDenseIndex.load(bytes.subarray(0, bytes.length - 1), matrix, DIMS, "cosine")).rejects.toMatchObject({ code: "CORRUPTION" });
    await expect(HnswDenseIndex.load(bytes.subarray(0, 10), matrix, DIMS, "cosine")).rejects.toThrow(/shorter than its 40-byte header/);
    await expect(HnswDenseIndex.load(bytes, matrix.subarray(0, (ROWS - 1) * DIMS), DIMS, "cosine")).rejects.toThrow(/built over 4000 rows of 48 dims, but the matrix has 3999 rows of 48/);
    await expect(HnswDenseIndex.load(bytes, matrix, DIMS, "dot")).rejects.toThrow(/built for metric "cosine", not "dot"/);
    const otherVersion = bytes.slice();
    otherVersion[4] = 9;
    await expect(HnswDenseIndex.load(otherVersion, matrix, DIMS, "cosine")).rejects.toMatchObject({ code: "UNSUPPORTED_VERSION" });
    await expect(HnswDenseIndex.load(new Uint8Array(40), matrix, DIMS, "cosine")).rejects.toThrow(/no HNSW header/);
  });

  it("applies accept: a mild filter stays on the graph, a selective one falls back to the exact flat search", () => {
    expect(compareWithFlat(index, matrix, (row) => row % 2 === 0)).toBeGreaterThanOrEqual(0.95);
    expect(index.lastSearch.path).toBe("hnsw");
    const selective = (row: number) => row % 200 === 3;
    for (const q of queries.slice(0, 5)) {
      expect(index.search(q, K, selective)).toEqual(flatDenseSearch(matrix, DIMS, q, K, "cosine", selective));
      expect(index.lastSearch.path).toBe("flat");
    }
    expect(index.search(queries[0]!, K, () => false)).toEqual([]);
    // k beyond the rows: every accepted row.
    expect(index.search(queries[0]!, ROWS + 5).length).toBe(ROWS);
    // The rule itself: cheaper flat when few rows are accepted, not when many are.
    expect(flatIsCheaper(1_000_000, 0.001, 20_000, 16)).toBe(true);
    expect(flatIsCheaper(1_000_000, 0.5, 40, 16)).toBe(false);
  });

  it("works for dot and l2 (f16 copies), and searches small segments flat", async () => {
    const unnormalised = matrix.map((x, i) => x * (1 + (Math.floor(i / DIMS) % 5)));
    for (const metric of ["dot", "l2"] as const) {
      const ix = await HnswDenseIndex.build(unnormalised, DIMS, metric, { threads: 1 });
      expect(ix.options.quantization).toBe("f16");
      expect(compareWithFlat(ix, unnormalised)).toBeGreaterThanOrEqual(0.9);
    }
    const small = matrix.subarray(0, FLAT_BELOW_ROWS * DIMS);
    const ix = await HnswDenseIndex.build(small, DIMS, "cosine", { threads: 1 });
    expect(ix.search(queries[0]!, K)).toEqual(flatDenseSearch(small, DIMS, queries[0]!, K, "cosine"));
    expect(ix.lastSearch.path).toBe("flat");
    const empty = await HnswDenseIndex.build(new Float32Array(0), DIMS, "l2");
    expect(empty.search(queries[0]!, K)).toEqual([]);
    expect((await HnswDenseIndex.load(empty.serialize(), new Float32Array(0), DIMS, "l2")).rows).toBe(0);
  });

  it("refuses bad arguments clearly", async () => {
    await expect(HnswDenseIndex.build(new Float32Array(10), 3, "cosine")).rejects.toThrow(/rows x 3 floats; it holds 10/);
    await expect(HnswDenseIndex.build(matrix, DIMS, "cosine", { connectivity: 1 })).rejects.toThrow(/hnsw connectivity is 1; it must be an integer from 2 to 256/);
    await expect(HnswDenseIndex.build(matrix, DIMS, "cosine", { quantization: "b1" as "i8" })).rejects.toThrow(/hnsw quantization is "b1"/);
    expect(() => index.search([1, 2], K)).toThrow(/the dense query has 2 values; this index has 48 dims/);
    expect(() => index.search(queries[0]!, 0)).toThrow(/k is 0/);
  });
});

describe("the optional usearch package", () => {
  it("names the package and the command to install it when it is missing", async () => {
    const err = await loadUsearch("usearch-not-installed-here").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining(USEARCH_INSTALL_HINT) });
    expect(USEARCH_INSTALL_HINT).toBe("index 'hnsw' needs the optional package usearch: npm install usearch@2.25");
    // Installed but not usearch.
    await expect(loadUsearch("msgpackr")).rejects.toThrow(/msgpackr does not export Index/);
    // The real one loads, once.
    expect(await loadUsearch()).toBe(await loadUsearch());
  });
});
