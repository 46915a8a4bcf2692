/**
 * Long-running soak tests, run directly (not through the bench dispatcher):
 *   npm run soak -- crash --iterations N [--dir D] [--max-kill-ms M] [--bulk-rounds R] [--bulk-max-kill-ms K]
 *                         [--bulk-docs B] [--json out.json]
 * prints and optionally writes {"iterations","acknowledged","lost","unopenable","corruptApplied",
 * "bulk": {"rounds","acknowledged","lost","notPrefix","unopenable"}}: R rounds (default N) of a
 * bulk load of a B-document Anserini file killed within K ms (bulk-crash-soak.ts), in a
 * collection of their own.
 *   npm run soak -- catalog --iterations N [--dir D] [--max-kill-ms M] [--json out.json]
 * kills a process that creates and drops collections; prints {"iterations","unopenable",
 * "brokenListed","leftovers","anchorLost","victimListed","victimGone"}.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalogSoak } from "./catalog-soak.js";
import { bulkCrashSoak } from "./bulk-crash-soak.js";
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
  const report =
    what === "crash"
      ? {
          ...(await crashSoak(dir, iterations, maxKillMs, log)),
          bulk: await bulkCrashSoak(join(root, "bulk-collection"), Number(flag(argv, "bulk-rounds") ?? iterations), {
            maxKillMs: Number(flag(argv, "bulk-max-kill-ms") ?? 3000),
            docs: Number(flag(argv, "bulk-docs") ?? 20_000),
            segmentDocs: Math.max(1, Math.floor(Number(flag(argv, "bulk-docs") ?? 20_000) / 20)),
            log,
          }),
        }
      : await catalogSoak(dir, iterations, maxKillMs, log);
  const out = JSON.stringify(report);
  process.stdout.write(out + "\n");
  process.stderr.write(`${what} soak: ${iterations} iterations in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const json = flag(argv, "json");
  if (json) writeFileSync(json, out + "\n");
  if (!flag(argv, "dir")) rmSync(root, { recursive: true, force: true });
  const failures =
    "lost" in report
      ? report.lost + report.unopenable + report.corruptApplied + report.bulk.lost + report.bulk.notPrefix + report.bulk.unopenable
      : report.unopenable + report.brokenListed + report.leftovers + report.anchorLost;
  if (failures > 0) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
