import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { Database } from "../../engine/database.js";

/** `sparsedb serve` as a real process: signals, exit codes. Needs the compiled tree (npm test builds it). */
const MAIN = join(import.meta.dirname, "..", "..", "dist", "engine", "cli", "main.js");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sparsedb-serve-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startServe(args: string[]): { child: ChildProcess; port: Promise<number>; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, "serve", "--dir", dir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (out += c));
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
    child.stdout!.on("data", () => {
      const m = /on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, port, output: () => out, exit };
}

describe.skipIf(!existsSync(MAIN))("sparsedb serve (process)", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`shuts down cleanly on ${signal}, keeping acknowledged writes`, async () => {
      const s = startServe(["--port", "0"]);
      const port = await s.port;
      const client = await SparseClient.connect({ port, reconnectRetries: 0 });
      const c = await client.createCollection("k");
      await c.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `d${i}`, text: `passage ${i} on signals` })));
      const pending = Array.from({ length: 20 }, (_, i) => c.upsert([{ id: `late${i}`, text: "late write" }]).then(() => true, () => false));
      s.child.kill(signal);
      const acked = (await Promise.all(pending)).filter(Boolean).length;
      expect(await s.exit).toBe(0);
      expect(s.output()).toMatch(new RegExp(`${signal}: shutting down`));
      expect(s.output()).toMatch(/stopped; data flushed/);
      await client.close();
      const db = await Database.open(dir);
      expect(await (await db.collection("k")).count()).toBeGreaterThanOrEqual(100 + acked);
      await db.close();
    }, 30_000);
  }

  it("refuses a non-loopback host without a token (exit 1), and bad flags (exit 2)", async () => {
    const s = startServe(["--host", "0.0.0.0", "--port", "0"]);
    expect(await s.exit).toBe(1);
    expect(s.output()).toMatch(/without a token/);
    const t = startServe(["--port", "seventy"]);
    expect(await t.exit).toBe(2);
  }, 30_000);
});
