import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-collections-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** The same session of commands against a folder and against a server on it. */
async function session(where: string[], env: Record<string, string> = {}): Promise<void> {
  const run = (args: string[]) => sparsedb(["collections", ...args, ...where], { cwd, env });
  const empty = await run(["list"]);
  expect(empty.code, empty.stderr).toBe(0);
  expect(empty.stdout).toMatch(/no collections in /);

  const made = await run(["create", "notes", "--bm25-k1", "1.3", "--stopwords", "english", "--bits", "6", "--durability", "batch"]);
  expect(made.code, made.stderr).toBe(0);
  expect(made.stdout).toMatch(/created collection "notes" in .* with encoder: lexical BM25 .*k1=1\.3/);
  expect((await run(["create", "other"])).code).toBe(0);

  const listed = await run(["list"]);
  expect(listed.stdout.split("\n").slice(1, 3).map((l) => l.split(/ +/)[0])).toEqual(["notes", "other"]);
  const json = JSON.parse((await run(["list", "--json"])).stdout);
  expect(json.map((c: { name: string }) => c.name)).toEqual(["notes", "other"]);

  const d = await run(["describe", "notes"]);
  expect(d.code, d.stderr).toBe(0);
  const described = JSON.parse(d.stdout);
  expect(described).toMatchObject({ name: "notes", config: { bits: 6, durability: "batch", memtableMaxDocs: 20000, encoder: { kind: "bm25", k1: 1.3, stopwords: "english" } }, stats: { docs: 0 } });
  expect(described.encoder).toMatch(/lexical BM25/);
  expect(Date.parse(described.createdAt)).not.toBeNaN();

  const again = await run(["create", "notes"]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/ALREADY_EXISTS: collection "notes" already exists/);
  const badBits = await run(["create", "x", "--bits", "40"]);
  expect(badBits.code).toBe(1);
  expect(badBits.stderr).toMatch(/bits is 40; use an integer in 1\.\.16/);
  expect((await run(["create", "x", "--durability", "sometimes"])).stderr).toMatch(/durability is "sometimes"/);
  expect((await run(["create", "bad name!"])).code).toBe(1);
  // --metric: cosine with the default BM25 is refused naming what to do; with inference-free it is kept and described.
  expect((await run(["describe", "notes"])).stdout).toMatch(/"metric": "dot"/);
  const bm25Cosine = await run(["create", "cos", "--metric", "cosine"]);
  expect(bm25Cosine.code).toBe(1);
  expect(bm25Cosine.stderr).toMatch(/metric "cosine" cannot be exact with the BM25 encoder/);
  const badMetric = await run(["create", "cos", "--metric", "angle"]);
  expect(badMetric.code).toBe(2);
  expect(badMetric.stderr).toContain('--metric must be dot or cosine, got "angle"');
  await writeFile(join(cwd, "idf.json"), JSON.stringify({ rain: 2, forest: 1.5 }));
  const cosine = await run(["create", "cos", "--metric", "cosine", "--encoder", "inference-free", "--idf", join(cwd, "idf.json")]);
  expect(cosine.code, cosine.stderr).toBe(0);
  expect(JSON.parse((await run(["describe", "cos"])).stdout)).toMatchObject({ config: { metric: "cosine", encoder: { kind: "inference-free" } }, stats: { metric: "cosine" } });
  expect((await run(["drop", "cos"])).code).toBe(0);

  const dropped = await run(["drop", "other"]);
  expect(dropped.code, dropped.stderr).toBe(0);
  expect(dropped.stdout).toMatch(/dropped collection "other"/);
  const missing = await run(["drop", "other"]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/NOT_FOUND: no collection "other"/);
  expect((await run(["describe", "other"])).stderr).toMatch(/NOT_FOUND: no collection "other"/);
  expect(JSON.parse((await run(["list", "--json"])).stdout).map((c: { name: string }) => c.name)).toEqual(["notes"]);
}

describe("sparsedb collections", () => {
  it("lists, creates, describes and drops collections in a folder", async () => {
    await (await Database.open(join(cwd, "db"))).close(); // list does not create a folder
    await session(["--dir", "db"]);
    const db = await Database.open(join(cwd, "db"));
    expect(db.listCollections().map((c) => c.name)).toEqual(["notes"]);
    await db.close();
  });

  it("does the same through a running server", async () => {
    const db = await Database.open(join(cwd, "served"));
    const server = await SparseServer.listen(db, { host: "127.0.0.1", port: 0, token: "collections-token", searchThreads: 0 });
    try {
      await session(["--connect", `127.0.0.1:${server.port}`], { SPARSEDB_TOKEN: "collections-token" });
      expect(db.listCollections().map((c) => c.name)).toEqual(["notes"]);
    } finally {
      await server.close();
      await db.close();
    }
  });

  it("refuses bad usage with exit code 2", async () => {
    const bad = async (args: string[], message: RegExp) => {
      const r = await sparsedb(["collections", ...args, "--dir", "db"], { cwd });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    };
    await bad([], /needs a subcommand: list, create, drop, describe/);
    await bad(["rename", "a"], /unknown collections subcommand "rename"/);
    await bad(["create"], /collections create takes exactly one NAME/);
    await bad(["drop", "a", "b"], /collections drop takes exactly one NAME/);
    await bad(["list", "a"], /collections list takes no NAME/);
    await bad(["describe", "a", "--bm25-b", "0.5"], /--bm25-b is for collections create, not describe/);
    await bad(["create", "a", "--bits", "many"], /--bits must be an integer/);
    await bad(["create", "a", "-c", "b"], /NAME as an argument, not --collection/);
    await bad(["create", "a", "--encoder", "splade"], /--encoder splade needs --model/);
    // A missing folder is not created by list, describe or drop.
    const r = await sparsedb(["collections", "list", "--dir", "nowhere"], { cwd });
    expect(r.code).toBe(1);
  });
});
