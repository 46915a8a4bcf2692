import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * SIGKILL at random moments while a child process upserts with durability "always" (a few
 * rounds; `npm run soak -- crash --iterations N` runs many). The child and the checker are the
 * compiled soak (dist/bench/soak): a real separate process is the point of the test, and child
 * processes run compiled JS. Skipped when dist/ has not been built (`npm test` builds it).
 */
const soak = join(process.cwd(), "dist/bench/soak/main.js");

describe("crash safety", () => {
  it.skipIf(!existsSync(soak))("every acknowledged upsert survives SIGKILL with its exact vector and metadata, and a killed bulk load leaves a prefix of its file", () => {
    const root = mkdtempSync(join(tmpdir(), "sparsedb-crash-test-"));
    try {
      const json = join(root, "report.json");
      // With bulk-load rounds: a child loads a 4000-document Anserini file (segments of 200)
      // through the CLI's chunked parse path and is killed within 3 s of starting.
      const r = spawnSync(process.execPath, [soak, "crash", "--iterations", "4", "--max-kill-ms", "250", "--bulk-rounds", "3", "--bulk-docs", "4000", "--dir", root, "--json", json], {
        encoding: "utf8",
        timeout: 80_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(json, "utf8"));
      expect(report.iterations).toBe(4);
      expect(report.acknowledged).toBeGreaterThan(0);
      expect(report, `${r.stdout}\n${r.stderr}`).toMatchObject({ lost: 0, unopenable: 0, corruptApplied: 0 });
      // What a bulk child reported committed survives, and each round is a prefix of its file.
      expect(report.bulk, r.stderr).toMatchObject({ rounds: 3, lost: 0, notPrefix: 0, unopenable: 0 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
