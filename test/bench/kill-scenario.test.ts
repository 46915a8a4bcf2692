import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { killDocVector, killScenario } from "../../bench/server/kill-scenario.js";

/** The kill scenario of `npm run bench -- server`, small and short, so that it cannot rot. Needs the compiled tree (npm test builds it). */
process.env.SPARSEDB_BENCH_SERVER ??= join(import.meta.dirname, "..", "..", "dist", "engine", "cli", "main.js");

describe("bench server kill scenario", () => {
  it("gives each document one vector, the same every time", () => {
    expect(killDocVector(3, 17)).toEqual(killDocVector(3, 17));
    expect(killDocVector(3, 17).terms).not.toEqual(killDocVector(3, 18).terms);
    expect(killDocVector(0, 0).terms.length).toBe(16);
  });

  it("keeps every acknowledged upsert across SIGKILL and restart, with no unexpected error", async () => {
    // A small memtable, so that flushes into segments run before the kill too.
    const f = await killScenario({ connections: 4, seconds: 2, batch: 5, memtableMaxDocs: 200 });
    expect(f.upsertRequests).toBeGreaterThan(10);
    expect(f.searches).toBeGreaterThan(10);
    expect(f.acknowledged).toBe(f.upsertRequests * 5);
    expect(f.unexpectedErrorSamples).toEqual([]);
    expect(f).toMatchObject({ lost: 0, wrongVector: 0, unexpectedErrors: 0, met: true });
    expect(f.docsAfterRestart).toBeGreaterThanOrEqual(f.acknowledged);
    expect(f.cutByKill).toBeLessThanOrEqual(4);
  }, 60_000);
});
