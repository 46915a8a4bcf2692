import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runUntilKilled } from "./kill-child.js";
import { Database } from "../../engine/database.js";

export interface CatalogSoakReport {
  iterations: number;
  /** Kills after which the database itself did not open. */
  unopenable: number;
  /** A listed collection that did not open, or opened with a count no completed upsert leaves. */
  brokenListed: number;
  /** A collection not listed whose folder was still there after opening. */
  leftovers: number;
  /** Kills after which "anchor" was not whole. */
  anchorLost: number;
  /** How often "victim" was found listed (whole) and gone: both should be common. */
  victimListed: number;
  victimGone: number;
}

const WRITER = fileURLToPath(new URL("./catalog-writer.js", import.meta.url));

async function runAndKill(dir: string, killAfterMs: number): Promise<void> {
  await runUntilKilled(WRITER, [dir], killAfterMs, "catalog writer");
}

/**
 * SIGKILLs a process that creates and drops a collection in a loop, at random moments, and checks
 * after each kill that every collection is whole or gone: listed and openable with the documents
 * of completed upserts, or unlisted with no folder left.
 */
export async function catalogSoak(dir: string, iterations: number, maxKillMs = 300, log: (s: string) => void = () => undefined): Promise<CatalogSoakReport> {
  const report: CatalogSoakReport = { iterations, unopenable: 0, brokenListed: 0, leftovers: 0, anchorLost: 0, victimListed: 0, victimGone: 0 };
  for (let it = 0; it < iterations; it++) {
    await runAndKill(dir, Math.floor(Math.random() * maxKillMs));
    let db: Database;
    try {
      db = await Database.open(dir, { create: false });
    } catch (e) {
      report.unopenable++;
      log(`iteration ${it}: the database does not open: ${(e as Error).message}`);
      continue;
    }
    try {
      try {
        if ((await (await db.collection("anchor")).count()) !== 10) report.anchorLost++;
      } catch (e) {
        report.anchorLost++;
        log(`iteration ${it}: anchor: ${(e as Error).message}`);
      }
      if (db.hasCollection("victim")) {
        report.victimListed++;
        try {
          const n = await (await db.collection("victim")).count();
          if (n % 10 !== 0) throw new Error(`holds ${n} documents, not a whole number of upserts`);
        } catch (e) {
          report.brokenListed++;
          log(`iteration ${it}: victim is listed but broken: ${(e as Error).message}`);
        }
      } else {
        report.victimGone++;
        if (existsSync(join(dir, "collections", "victim"))) report.leftovers++;
      }
    } finally {
      await db.close();
    }
  }
  return report;
}
