import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { run } from "../../bench/hybrid/main.js";

const dir = mkdtempSync(join(tmpdir(), "sparsedb-hybrid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bench hybrid", () => {
  it("measures the dense leg (HNSW against flat, filters, serialize) and the collection's sparse, dense and fused searches", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await run(["--docs", "2000", "--queries", "8", "--flat-queries", "3", "--threads", "1", "--filters", "2,400", "--serialize", "--fused-docs", "1500", "--json", join(dir, "out.json")]);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    const r = JSON.parse(readFileSync(join(dir, "out.json"), "utf8"));
    expect(r).toMatchObject({ synthetic: true, docs: 2000, dims: 384, queries: 8, realSparseQueries: false, k: 10, matrixBytesPerDoc: 1536 });
    // 2000 documents in 1024 clusters have almost no structure: recall is the engine test's subject
    // (test/engine/dense), on a clustered corpus; here only that it is measured.
    expect(r.dense.hnsw.recall).toBeGreaterThan(0.5);
    expect(r.dense.hnsw.scoresEqualFlat).toBe(true);
    expect(r.dense.loadedEqual).toBe(true);
    expect(r.dense.flat.queries).toBe(3);
    expect(r.dense.filtered.map((x: { name: string }) => x.name)).toEqual(["row % 2 = 0", "row % 400 = 0"]);
    // 5 rows of 2000 accepted: flat fallback, exact.
    expect(r.dense.filtered[1]).toMatchObject({ recall: 1, flatFallbackShare: 1 });
    expect(r.fused).toMatchObject({ docs: 1500, denseIndex: "flat", fusion: '"rrf"', prefetch: 40 });
    expect(r.fused.fused.p50Ms).toBeGreaterThan(0);
    expect(typeof r.fused.withinTarget).toBe("boolean");
  });

  it("refuses bad options", async () => {
    await expect(run(["--fusion", "max", "--docs", "10"])).rejects.toThrow(/--fusion is "max"/);
    await expect(run(["--quantization", "b1"])).rejects.toThrow(/--quantization must be f32, f16 or i8/);
  });
});
