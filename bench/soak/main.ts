/**
 * Long-running soak tests, run directly (not through the bench dispatcher):
 *   npm run soak -- crash --iterations N [--dir D] [--max-kill-ms M] [--json out.json]
 * prints and optionally writes {"iterations","acknowledged","lost","unopenable","corruptApplied"}.
 *   npm run soak -- catalog --iterations N [--dir D] [--max-kill-ms M] [--json out.json]
 * kills a process that creates and drops collections; prints {"iterations","unopenable",
 * "brokenListed","leftovers","anchorLost","victimListed","victimGone"}.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalogSoak } from "./catalog-soak.js";
import { crashSoak } from "./crash-soak.js";

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const what = argv[0];
  if (what !== "crash" && what !== "catalog") {
    process.stderr.write("usage: npm run soak -- crash|catalog --iterations N [--dir D] [--max-kill-ms M] [--json out.json]\n");
    process.exit(2);
  }
  const iterations = Number(flag(argv, "iterations") ?? 20);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error("--iterations must be a positive integer");
  const root = flag(argv, "dir") ?? mkdtempSync(join(tmpdir(), "sparsedb-crash-soak-"));
  const dir = join(root, what === "crash" ? "collection" : "database");
  const started = Date.now();
  const log = (s: string): void => void process.stderr.write(s + "\n");
  const maxKillMs = Number(flag(argv, "max-kill-ms") ?? (what === "crash" ? 400 : 300));
  const report = what === "crash" ? await crashSoak(dir, iterations, maxKillMs, log) : await catalogSoak(dir, iterations, maxKillMs, log);
  const out = JSON.stringify(report);
  process.stdout.write(out + "\n");
  process.stderr.write(`${what} soak: ${iterations} iterations in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const json = flag(argv, "json");
  if (json) writeFileSync(json, out + "\n");
  if (!flag(argv, "dir")) rmSync(root, { recursive: true, force: true });
  const failures =
    "lost" in report ? report.lost + report.unopenable + report.corruptApplied : report.unopenable + report.brokenListed + report.leftovers + report.anchorLost;
  if (failures > 0) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
