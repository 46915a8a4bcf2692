import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { denseToBinary } from "../../engine/dense/dense-input.js";
import { sparsedb } from "../cli/cli-harness.js";
import { errorOf, expectCliError, openEntryPoints, type EntryPoints } from "../engine/entry-points.js";

/**
 * Dense vectors through every entry point: the library, SparseClient through a server, raw
 * protocol frames (dense as an array and as float32 little-endian binary) and the CLI (--dir and
 * --connect). The same hybrid request gets the same hits everywhere; the same bad one the same error.
 */
const DOCS = [
  { id: "a", text: "glacier ice melt", dense: [1, 0, 0], metadata: { g: 1 } },
  { id: "b", text: "glacier rock", dense: [0, 1, 0], metadata: { g: 2 } },
  { id: "c", text: "desert sand", dense: [0.7, 0.7, 0], metadata: { g: 1 } },
  { id: "d", text: "ice sheet glacier" },
];
const CONFIG = { dense: { dims: 3, metric: "dot" as const, index: "flat" as const } };

let entry: EntryPoints;
let rawId = 0;
beforeAll(async () => {
  entry = await openEntryPoints("sparsedb-dense-entry-", DOCS, {}, CONFIG);
});
afterAll(async () => {
  await entry?.close();
});

async function raw(op: string, args: Record<string, unknown>): Promise<any> {
  entry.raw.request(++rawId, op, { collection: "docs", ...args });
  return entry.raw.next();
}

const strip = (hits: { id: string; score: number; legs?: unknown }[]) => hits.map((h) => ({ id: h.id, score: h.score, legs: h.legs }));

describe("dense vectors through every entry point", () => {
  it("a hybrid search, a dense search and a rerank give the same hits from the library, the client, raw frames and the CLI", async () => {
    const lib = await entry.db.collection("docs");
    const cli = await entry.client.collection("docs");
    const requests = [
      { text: "glacier", dense: [1, 0.1, 0], k: 3, explain: true },
      { dense: [0, 1, 0], k: 2, explain: true, filter: { g: 1 } },
      { text: "glacier", dense: [0, 1, 0], k: 2, rerank: "dense" as const, prefetch: 3, explain: true },
      { text: "glacier", dense: [1, 0, 0], k: 2, fusion: { linear: { sparse: 0.5, dense: 1 } }, explain: true },
    ];
    for (const r of requests) {
      const want = strip(await lib.search(r));
      expect(want.length).toBeGreaterThan(0);
      expect(strip(await cli.search(r))).toEqual(want);
      const overArray = await raw("search", r);
      expect(overArray.error, JSON.stringify(overArray.error)).toBeUndefined();
      expect(strip(overArray.result)).toEqual(want);
      const overBinary = await raw("search", { ...r, dense: denseToBinary(Float32Array.from(r.dense)) });
      expect(strip(overBinary.result)).toEqual(want);
      const args = ["search", "--json", "--explain", "-k", String(r.k), "--dense", JSON.stringify(r.dense)];
      if (r.text !== undefined) args.push(r.text);
      if (r.filter !== undefined) args.push("--filter", JSON.stringify(r.filter));
      if (r.rerank !== undefined) args.push("--rerank", r.rerank, "--prefetch", String(r.prefetch));
      if (r.fusion !== undefined) args.push("--fusion", JSON.stringify(r.fusion));
      for (const where of [["--dir", join(entry.root, "cli")], ["--connect", `127.0.0.1:${entry.server.port}`]]) {
        const run = await sparsedb([...args, ...where, "-c", "docs"], { cwd: entry.root });
        expect(run.stderr).toBe("");
        expect(strip(JSON.parse(run.stdout))).toEqual(want);
      }
    }
  });

  it("--dense reads a JSON file or raw float32 little-endian values", async () => {
    await writeFile(join(entry.root, "q.json"), "[0, 1, 0]");
    await writeFile(join(entry.root, "q.f32"), denseToBinary(Float32Array.of(0, 1, 0)));
    const want = strip(await (await entry.db.collection("docs")).search({ dense: [0, 1, 0], k: 2 }));
    for (const file of ["q.json", "q.f32"]) {
      const run = await sparsedb(["search", "--json", "--dense", file, "-k", "2", "--dir", join(entry.root, "cli"), "-c", "docs"], { cwd: entry.root });
      expect(run.stderr).toBe("");
      expect(strip(JSON.parse(run.stdout))).toEqual(want);
    }
  });

  it("get and scroll return dense vectors; upserts with dense through the client arrive exactly", async () => {
    const cli = await entry.client.collection("docs");
    await cli.upsert([{ id: "e", dense: Float32Array.of(0.1, 0.2, 0.3) }]);
    const lib = await entry.db.collection("docs");
    expect(Array.from((await lib.get("e"))!.dense!)).toEqual(Array.from(Float32Array.of(0.1, 0.2, 0.3)));
    expect((await cli.get("e"))!.dense).toEqual(Float32Array.of(0.1, 0.2, 0.3));
    const page = await cli.scroll({ limit: 10 });
    expect(page.documents.find((d) => d.id === "a")!.dense).toEqual(Float32Array.of(1, 0, 0));
    expect(page.documents.find((d) => d.id === "d")!.dense).toBeUndefined();
    await cli.delete(["e"]);
  });

  const BAD = [
    { name: "wrong length", arg: { dense: [1, 2], k: 2 }, code: "INVALID_VECTOR", message: "search: query: the dense vector has 2 values; this collection's dense vectors have exactly 3", cli: ["search", "--dense", "[1, 2]"] },
    { name: "a string value", arg: { dense: [1, "x", 2], k: 2 }, code: "INVALID_VECTOR", message: "search: query: dense[1] must be a number, got a string", cli: ["search", "--dense", '[1, "x", 2]'] },
    { name: "fusion without a sparse query", arg: { dense: [1, 0, 0], k: 2, fusion: "dbsf" }, code: "INVALID_ARGUMENT", message: "search: fusion needs both a sparse query (vector or text) and a dense query (dense) to fuse", cli: ["search", "--dense", "[1, 0, 0]", "--fusion", "dbsf"] },
    { name: "prefetch below k", arg: { text: "glacier", dense: [1, 0, 0], k: 5, prefetch: 2 }, code: "INVALID_ARGUMENT", message: "search: prefetch must be an integer in 5..10000 (at least offset + k, 5), got 2", cli: ["search", "-k", "5", "--dense", "[1, 0, 0]", "--prefetch", "2", "glacier"] },
  ];
  for (const row of BAD) {
    it(`the same error everywhere: ${row.name}`, async () => {
      const want = { code: row.code, message: row.message };
      expect(await errorOf((await entry.db.collection("docs")).search(row.arg as never))).toEqual(want);
      expect(await errorOf((await entry.client.collection("docs")).search(row.arg as never))).toEqual(want);
      const r = await raw("search", row.arg);
      expect({ code: r.error?.code, message: r.error?.message }).toEqual(want);
      await expectCliError(entry, row.cli, want);
    });
  }

  it("a binary dense vector whose length is not a multiple of 4 is refused over the wire", async () => {
    const r = await raw("search", { dense: new Uint8Array(6), k: 1 });
    expect(r.error).toMatchObject({ code: "INVALID_VECTOR", message: "search: query: a binary dense vector holds float32 values, 4 bytes each, little-endian; it has 6 bytes" });
  });
});
