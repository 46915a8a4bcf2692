import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";

/**
 * SIGKILL of `sparsedb ingest` in the middle of an Anserini bulk load (the chunked parse on
 * worker threads, so the compiled CLI: skipped when dist/ has not been built). The collection
 * must then hold exactly the file's first k documents, k a commit point no smaller than the
 * last line the command reported durable, with the file's vectors.
 */
const MAIN = join(import.meta.dirname, "..", "..", "dist", "engine", "cli", "main.js");
const N = 30_000, SEGMENT = 500, SCALE = 4;

/** Line i: `d<i>` with "hello" repeated 1 + i % 5 times and one "world" (both in BERT's vocabulary). */
const line = (i: number): string => `d${i}\t${"hello ".repeat(1 + (i % 5))}world`;

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-ingest-kill-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe.skipIf(!existsSync(MAIN))("sparsedb ingest killed during an Anserini bulk load", () => {
  it("leaves exactly a prefix of the file, up to at least the last line it reported durable", async () => {
    await writeFile(join(cwd, "big.tsv"), Array.from({ length: N }, (_, i) => line(i)).join("\n") + "\n");
    const child = spawn(process.execPath, [MAIN, "ingest", "--dir", "db", "--format", "anserini", "--scale", String(SCALE), "--segment-docs", String(SEGMENT), "--parse-threads", "2", "big.tsv"], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let reported = 0, stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr!.on("data", (b: Buffer) => {
        stderr += b.toString();
        const all = [...stderr.matchAll(/(\d+) docs durable through big\.tsv:(\d+)/g)];
        if (all.length >= 3 && reported === 0) {
          reported = Number(all.at(-1)![2]);
          expect(Number(all.at(-1)![1])).toBe(reported); // no blank or bad lines: docs = lines
          child.kill("SIGKILL");
        }
      });
      child.on("exit", () => resolve());
    });
    expect(reported, stderr).toBeGreaterThan(0);
    const db = await Database.open(join(cwd, "db"));
    try {
      const c = await db.collection("default");
      const k = await c.count();
      expect(k).toBeGreaterThanOrEqual(reported);
      expect(k % SEGMENT === 0 && k < N, `k = ${k}`).toBe(true); // killed midway, at a commit point
      const hello = c.encoder!.vocabulary!.idOf("hello")!, world = c.encoder!.vocabulary!.idOf("world")!;
      for (let i = 0; i < N; i++) {
        const doc = await c.get(`d${i}`);
        if (i >= k) {
          expect(doc, `d${i} is beyond the prefix of ${k}`).toBeNull();
          if (i > k + SEGMENT) break; // one segment past is enough: later ones were never built
          continue;
        }
        const want = new Map([[hello, (1 + (i % 5)) / SCALE], [world, 1 / SCALE]]);
        expect(doc, `d${i}`).not.toBeNull();
        expect([...doc!.vector.terms].map((t, j) => [t, doc!.vector.weights[j]])).toEqual([...want].sort((a, b) => a[0] - b[0]).map(([t, w]) => [t, Math.fround(w)]));
      }
    } finally {
      await db.close();
    }
  }, 60_000);
});
