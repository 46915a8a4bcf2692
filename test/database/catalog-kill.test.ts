import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Real SIGKILLs of a process that creates and drops a collection in a loop (a few rounds;
 * `npm run soak -- catalog --iterations N` runs many; database-folder.test.ts stops the same
 * operations at every single step). Runs the compiled soak; skipped when dist/ is not built.
 */
const soak = join(process.cwd(), "dist/bench/soak/main.js");

describe("create/drop under SIGKILL", () => {
  it.skipIf(!existsSync(soak))("every collection is whole or gone after each kill", () => {
    const root = mkdtempSync(join(tmpdir(), "sparsedb-catalog-kill-"));
    try {
      const json = join(root, "report.json");
      const r = spawnSync(process.execPath, [soak, "catalog", "--iterations", "4", "--max-kill-ms", "200", "--dir", root, "--json", json], {
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(json, "utf8"));
      expect(report).toMatchObject({ iterations: 4, unopenable: 0, brokenListed: 0, leftovers: 0, anchorLost: 0 });
      expect(report.victimListed + report.victimGone).toBe(4);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 90_000);
});
