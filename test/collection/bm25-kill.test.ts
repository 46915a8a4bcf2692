import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { KILL_IDS } from "./bm25-kill-writer.js";
import { tempDir } from "./temp-dir.js";

/**
 * SIGKILL at random moments while a child process writes BM25 text documents (upserts,
 * replacements, deletes, background flushes and merges), then: the reopened collection's
 * statistics equal those recounted from its surviving documents. The child is compiled JS
 * (dist/); skipped when dist/ has not been built (`npm test` builds it).
 */
const writer = join(process.cwd(), "dist/test/collection/bm25-kill-writer.js");

function runAndKill(dir: string, seed: number, killAfterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, String(seed)], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b) => (stderr += b));
    child.stdout.once("data", () => setTimeout(() => child.kill("SIGKILL"), killAfterMs));
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited with ${code}: ${stderr}`))));
  });
}

describe("BM25 statistics after SIGKILL", () => {
  it.skipIf(!existsSync(writer))("equal the surviving documents' after each kill", async () => {
    const t = tempDir();
    try {
      for (let round = 0; round < 4; round++) {
        await runAndKill(t.dir, 7 + round * 31, 150 + round * 120);
        const encoder = new Bm25Encoder({ kind: "bm25" });
        const c = await CollectionStore.open(t.dir, { encoder });
        try {
          let numDocs = 0, totalLength = 0;
          const df: Record<number, number> = {};
          for (let i = 0; i < KILL_IDS; i++) {
            const doc = await c.get(`d${i}`);
            if (doc === null) continue;
            const ids = encoder.analyze((doc.metadata as { text: string }).text);
            numDocs++;
            totalLength += ids.length;
            for (const term of new Set(ids)) df[term] = (df[term] ?? 0) + 1;
          }
          expect(c.count()).toBe(numDocs);
          expect(c.corpusStatistics()).toEqual({ numDocs, totalLength, df });
        } finally {
          await c.close();
        }
      }
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
