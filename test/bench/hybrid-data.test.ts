import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { run } from "../../bench/hybrid-data/main.js";

const dir = mkdtempSync(join(tmpdir(), "sparsedb-hybrid-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bench hybrid-data", () => {
  it("streams documents through the generator and the flat top-k, and reports clusters, cosines and the truth's cluster share", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await run(["--docs", "3000", "--queries", "12", "--truth-queries", "12", "--clusters", "8", "--json", join(dir, "out.json")]);
    } finally {
      log.mockRestore();
    }
    const r = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as Record<string, number | boolean>;
    expect(r).toMatchObject({ synthetic: true, docs: 3000, dims: 384, clusters: 8, queries: 12, realQueries: false, k: 10, clustersUsed: 8 });
    expect(r.meanCosineWithinCluster as number).toBeGreaterThan(0.5);
    expect(Math.abs(r.meanCosineAcrossClusters as number)).toBeLessThan(0.05);
    expect(r.truthInQueryCluster as number).toBeGreaterThan(0.9);
    expect((r.clusterSizeMin as number) * 8).toBeLessThanOrEqual(3000);
    expect(r.clusterSizeMax as number).toBeGreaterThanOrEqual(3000 / 8);
  });

  it("refuses unknown options", async () => {
    await expect(run(["--dosc", "5"])).rejects.toThrow(/unknown option --dosc/);
  });
});
