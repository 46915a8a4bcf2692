import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-bulk-cli-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const line = (id: number, v: number): string => JSON.stringify({ id: `d${id}`, vector: { terms: [id % 9, 10 + v], weights: [1 + v, 0.5] }, v });

/** What `get` answers for ids d0..d(n-1), and the count. */
async function contents(dir: string, n: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push((await sparsedb(["get", "--dir", dir, `d${i}`], { cwd })).stdout);
  out.push((await sparsedb(["stats", "--dir", dir], { cwd })).stdout.match(/"docs": \d+/)?.[0]);
  return out;
}

describe("sparsedb ingest (bulk load)", () => {
  it("holds what the write-ahead-log path holds, replacements of existing and repeated ids included, and reports the durable line", async () => {
    const first = Array.from({ length: 7 }, (_, i) => line(i, 0));
    const second = [line(3, 1), line(8, 1), "", line(3, 2), line(9, 1), line(0, 3), line(10, 1), line(8, 4)];
    await writeFile(join(cwd, "a.jsonl"), first.join("\n") + "\n");
    await writeFile(join(cwd, "b.jsonl"), second.join("\n") + "\n");
    for (const [dir, extra] of [["bulk", ["--segment-docs", "2"]], ["wal", ["--wal"]]] as const) {
      expect((await sparsedb(["ingest", "--dir", dir, ...extra, "a.jsonl"], { cwd })).code).toBe(0);
      const r = await sparsedb(["ingest", "--dir", dir, ...extra, "b.jsonl"], { cwd });
      expect(r.code, r.stderr).toBe(0);
      if (dir === "bulk") expect(r.stdout).toMatch(/^7 documents written; collection now holds 10 \(durable through b\.jsonl:8\)$/m);
    }
    expect(await contents(join(cwd, "bulk"), 12)).toEqual(await contents(join(cwd, "wal"), 12));
  }, 30_000);

  it("with --on-error skip, loads the good lines around bad ones and reports them by file:line", async () => {
    await writeFile(join(cwd, "m.jsonl"), [line(1, 0), "{not json", line(2, 0), JSON.stringify({ id: "x", vector: { terms: [1, 1], weights: [1, 2] } }), line(3, 0)].join("\n"));
    const r = await sparsedb(["ingest", "--dir", "db", "--segment-docs", "1", "--on-error", "skip", "m.jsonl"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/m\.jsonl:2: not valid JSON/);
    expect(r.stderr).toMatch(/m\.jsonl:4: .*twice/);
    expect(r.stdout).toMatch(/3 documents written, 2 bad lines skipped; collection now holds 3 \(durable through m\.jsonl:5\)/);
  }, 20_000);
});

const MAIN = join(import.meta.dirname, "..", "..", "dist", "engine", "cli", "main.js");

describe.skipIf(!existsSync(MAIN))("sparsedb ingest killed during a bulk load", () => {
  it("leaves a collection that opens and holds the file up to at least the last line it reported durable", async () => {
    const n = 20_000;
    await writeFile(join(cwd, "big.jsonl"), Array.from({ length: n }, (_, i) => line(i, i % 5)).join("\n") + "\n");
    const child = spawn(process.execPath, [MAIN, "ingest", "--dir", "db", "--segment-docs", "500", "big.jsonl"], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let reported = 0;
    let stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr!.on("data", (b: Buffer) => {
        stderr += b.toString();
        const all = [...stderr.matchAll(/durable through big\.jsonl:(\d+)/g)];
        if (all.length >= 2 && reported === 0) {
          reported = Number(all.at(-1)![1]);
          child.kill("SIGKILL");
        }
      });
      child.on("exit", () => resolve());
    });
    expect(reported, stderr).toBeGreaterThan(0);
    const db = await Database.open(join(cwd, "db"));
    try {
      const c = await db.collection("default");
      const count = await c.count();
      // A prefix of the file, in whole segments, no shorter than reported.
      expect(count).toBeGreaterThanOrEqual(reported);
      expect(count % 500 === 0 && count < n).toBe(true); // killed midway, at a segment boundary
      for (const i of [0, reported - 1, count - 1]) expect((await c.get(`d${i}`))?.metadata).toEqual({ v: i % 5 });
      if (count < n) expect(await c.get(`d${count}`)).toBeNull();
    } finally {
      await db.close();
    }
  }, 60_000);
});
