import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { RawConnection } from "../server/raw-socket.js";
import { sparsedb } from "../cli/cli-harness.js";
import { SparseDbError } from "../../engine/errors.js";
import { errorOf, openEntryPoints, type EntryPoints } from "./entry-points.js";

/**
 * offset, scoreThreshold, searchBatch and the new filter operators through every entry point:
 * the library's Collection, SparseClient (through a server), raw protocol frames and the CLI
 * (on a folder and through --connect). Bad requests get the same error everywhere; good ones
 * the same hits.
 */
interface Row {
  name: string;
  op: "search" | "searchBatch";
  arg: unknown;
  code: string;
  message: string;
  /** Whether raw frames can carry it (MessagePack has no undefined). */
  wire?: boolean;
  cli?: string[];
}

const ROWS: Row[] = [
  { name: "negative offset", op: "search", arg: { text: "glacier", k: 3, offset: -1 }, code: "INVALID_ARGUMENT", message: "search: offset must be an integer >= 0, got -1", cli: ["search", "--offset=-1", "glacier"] },
  { name: "offset not whole", op: "search", arg: { text: "glacier", k: 3, offset: 1.5 }, code: "INVALID_ARGUMENT", message: "search: offset must be an integer >= 0, got 1.5", cli: ["search", "--offset", "1.5", "glacier"] },
  { name: "offset as a string", op: "search", arg: { text: "glacier", k: 3, offset: "2" }, code: "INVALID_ARGUMENT", message: "search: offset must be a number, got a string", cli: ["search", "--offset", "two", "glacier"] },
  {
    name: "offset + k beyond MAX_K",
    op: "search",
    arg: { text: "glacier", k: 10, offset: 9995 },
    code: "INVALID_ARGUMENT",
    message: "search: offset + k is 10005; a search reaches at most 10000 hits deep (offset + k <= 10000): page with a smaller offset, or narrow the query with a filter or scoreThreshold",
    cli: ["search", "-k", "10", "--offset", "9995", "glacier"],
  },
  { name: "threshold NaN", op: "search", arg: { text: "glacier", k: 3, scoreThreshold: Number.NaN }, code: "INVALID_ARGUMENT", message: "search: scoreThreshold must be a finite number, got NaN" },
  { name: "threshold infinite", op: "search", arg: { text: "glacier", k: 3, scoreThreshold: Number.POSITIVE_INFINITY }, code: "INVALID_ARGUMENT", message: "search: scoreThreshold must be a finite number, got Infinity" },
  { name: "threshold as a string", op: "search", arg: { text: "glacier", k: 3, scoreThreshold: "0.5" }, code: "INVALID_ARGUMENT", message: "search: scoreThreshold must be a number, got a string", cli: ["search", "--score-threshold", "high", "glacier"] },
  {
    name: "contains with an array",
    op: "search",
    arg: { text: "glacier", k: 3, filter: { tags: { contains: ["ice", "rock"] } } },
    code: "INVALID_ARGUMENT",
    message: 'filter.tags.contains: "contains" takes one value; for several use "containsAny" or "containsAll"',
    cli: ["search", "--filter", '{"tags": {"contains": ["ice", "rock"]}}', "glacier"],
  },
  { name: "exists not a boolean", op: "search", arg: { text: "glacier", k: 3, filter: { "src.site": { exists: 1 } } }, code: "INVALID_ARGUMENT", message: 'filter.src.site.exists: "exists" takes true or false, got number 1', cli: ["search", "--filter", '{"src.site": {"exists": 1}}', "glacier"] },
  { name: "empty batch", op: "searchBatch", arg: [], code: "INVALID_ARGUMENT", message: "searchBatch: the array of requests is empty; give at least one search request" },
  { name: "batch not an array", op: "searchBatch", arg: { text: "glacier", k: 3 }, code: "INVALID_ARGUMENT", message: "searchBatch takes an array of search requests [{vector | text, k, ...}, ...], got an object" },
  { name: "bad k in request 1", op: "searchBatch", arg: [{ text: "glacier", k: 3 }, { text: "ice", k: 0 }], code: "INVALID_ARGUMENT", message: "searchBatch: request 1: search: k must be an integer in 1..10000, got 0" },
  { name: "bad offset in request 2", op: "searchBatch", arg: [{ text: "a", k: 1 }, { text: "b", k: 1 }, { text: "c", k: 1, offset: -3 }], code: "INVALID_ARGUMENT", message: "searchBatch: request 2: search: offset must be an integer >= 0, got -3" },
  { name: "bad vector in request 0", op: "searchBatch", arg: [{ vector: { 5: "x" }, k: 1 }], code: "INVALID_VECTOR", message: "searchBatch: request 0: search: query: entry 0: weight of term 5 must be a number, got a string" },
  { name: "bad filter in request 0", op: "searchBatch", arg: [{ text: "a", k: 1, filter: { t: { containsAll: "x" } } }], code: "INVALID_ARGUMENT", message: 'searchBatch: request 0: filter.t.containsAll: "containsAll" takes an array of values, got the string "x"' },
  { name: "a request that is not a map", op: "searchBatch", arg: [{ text: "a", k: 1 }, 7], code: "INVALID_ARGUMENT", message: "searchBatch: request 1: search takes an object {vector | text | dense, k, filter?, fusion?, prefetch?, rerank?, mode?, recall?, algorithm?, explain?, include?, offset?, scoreThreshold?}, got a number" },
];

const DOCS = [
  { id: "g1", text: "glaciers carve deep valleys", metadata: { tags: ["ice", "rock"], src: { site: "wiki" } } },
  { id: "g2", text: "a glacier is a river of ice", metadata: { tags: ["ice"], src: { site: "news" } } },
  { id: "g3", text: "glacier glacier ice valleys", metadata: { tags: ["rock"] } },
  { id: "g4", text: "deep valleys of rock", metadata: { src: { site: "wiki", lang: null } } },
  { id: "g5", text: "ice shelves and glacier tongues", metadata: null },
];

describe("search options through every entry point", () => {
  let root: string;
  let db: Database;
  let server: SparseServer;
  let client: SparseClient;
  let raw: RawConnection;
  let rawId = 0;

  let entry: EntryPoints;

  beforeAll(async () => {
    entry = await openEntryPoints("sparsedb-search-options-", DOCS, { limits: { maxBatchQueries: 3 } });
    ({ root, db, server, client, raw } = entry);
  });

  afterAll(() => entry?.close());

  async function viaRaw(op: string, args: Record<string, unknown>): Promise<any> {
    raw.request(++rawId, op, { collection: "docs", ...args });
    return raw.next();
  }

  it.each(ROWS.map((r) => [r.name, r] as const))("rejects: %s", async (_name, row) => {
    const expected = { code: row.code, message: row.message };
    const lib = await db.collection("docs");
    const remote = await client.collection("docs");
    const call = (c: typeof lib | typeof remote) => (row.op === "search" ? c.search(row.arg as never) : c.searchBatch(row.arg as never));
    expect(await errorOf(call(lib)), "library").toEqual(expected);
    expect(await errorOf(call(remote)), "SparseClient").toEqual(expected);
    if (row.wire !== false) {
      const reply = await viaRaw(row.op, row.op === "search" ? (row.arg as Record<string, unknown>) : { requests: row.arg });
      expect(reply, "raw frame").toMatchObject({ error: expected });
    }
    if (row.cli !== undefined) {
      for (const target of [["--dir", join(root, "cli")], ["--connect", `127.0.0.1:${server.port}`]]) {
        const r = await sparsedb([...row.cli, ...target, "-c", "docs"], { cwd: root });
        expect(r.code, `CLI ${target[0]}`).toBe(1);
        expect(r.stderr, `CLI ${target[0]}`).toContain(`${row.code}: ${row.message}\n`);
      }
    }
  });

  it("any offset and scoreThreshold get the same outcome from the library and from raw frames (fast-check)", async () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -3, max: 12_000 }),
      fc.double({ noDefaultInfinity: false }),
      fc.constantFrom("1", "", Number.NaN, -0, 2 ** 31),
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
    );
    const request = fc.record({ k: fc.oneof(fc.integer({ min: 1, max: 6 }), value), offset: value, scoreThreshold: value }, { requiredKeys: ["k"] });
    const lib = await db.collection("docs");
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const req = { text: "glacier ice valleys", ...r };
        const viaLib = await lib.search(req as never).then(
          (hits) => ({ ok: hits.map((h) => h.id) }),
          (e: SparseDbError) => ({ code: e.code, message: e.message }),
        );
        const reply = await viaRaw("search", req);
        const viaWire = reply.error !== undefined ? { code: reply.error.code, message: reply.error.message } : { ok: (reply.result as { id: string }[]).map((h) => h.id) };
        // The server's maxK (1000) is the one difference, by design.
        const depth = (typeof r.k === "number" ? r.k : 0) + (typeof r.offset === "number" ? r.offset : 0);
        if ("ok" in viaLib && depth > 1000) {
          expect(viaWire).toMatchObject({ code: "LIMIT_EXCEEDED" });
          return;
        }
        expect(viaWire).toEqual(viaLib);
      }),
      { numRuns: 200 },
    );
  });

  it("the server's limits: offset + k within its maxK, at most maxBatchQueries queries, as LIMIT_EXCEEDED", async () => {
    const remote = await client.collection("docs");
    const deep = { code: "LIMIT_EXCEEDED", message: "search: offset + k is 1005; this server searches at most 1000 hits deep (offset + k <= 1000)" };
    expect(await errorOf(remote.search({ text: "glacier", k: 5, offset: 1000 }))).toEqual(deep);
    expect(await viaRaw("search", { text: "glacier", k: 5, offset: 1000 })).toMatchObject({ error: deep });
    // The library itself reaches 10000 deep.
    expect(await (await db.collection("docs")).search({ text: "glacier", k: 5, offset: 1000 })).toEqual([]);

    const many = Array.from({ length: 4 }, () => ({ text: "glacier", k: 1 }));
    const tooMany = { code: "LIMIT_EXCEEDED", message: "searchBatch: 4 requests; this server accepts at most 3 per call: split it" };
    expect(await errorOf(remote.searchBatch(many))).toEqual(tooMany);
    expect(await viaRaw("searchBatch", { requests: many })).toMatchObject({ error: tooMany });
    expect(await (await db.collection("docs")).searchBatch(many)).toHaveLength(4);

    const bigK = { code: "LIMIT_EXCEEDED", message: "searchBatch: request 1: search: k is 5000; this server returns at most 1000 hits" };
    expect(await errorOf(remote.searchBatch([{ text: "ice", k: 1 }, { text: "ice", k: 5000 }]))).toEqual(bigK);
  });

  it("searchBatch gives each request's own hits, in order, through the library, the client and raw frames", async () => {
    const requests = [
      { text: "glacier ice", k: 3 },
      { text: "glacier ice", k: 2, offset: 1 },
      { text: "deep valleys", k: 5, filter: { "src.site": "wiki", tags: { exists: true } } },
    ];
    const lib = await db.collection("docs");
    const one = [];
    for (const r of requests) one.push(await lib.search(r));
    const plain = (hits: { id: string; score: number; metadata?: unknown }[][]) => hits.map((h) => h.map(({ id, score, metadata }) => ({ id, score, metadata })));
    expect(one[0]!.length).toBe(3);
    expect(one[2]!.map((h) => h.id)).toEqual(["g1"]);
    expect(plain(await lib.searchBatch(requests))).toEqual(plain(one));
    expect(plain(await (await client.collection("docs")).searchBatch(requests))).toEqual(plain(one));
    const reply = await viaRaw("searchBatch", { requests });
    expect(plain(reply.result)).toEqual(plain(one));
  });

  it("offset, scoreThreshold and the filter operators give the library's hits through the client and the CLI", async () => {
    const lib = await db.collection("docs");
    const remote = await client.collection("docs");
    const all = await lib.search({ text: "glacier ice valleys", k: 5 });
    expect(all.length).toBe(5);
    const threshold = all[2]!.score;
    const cases = [
      { k: 2, offset: 1 },
      { k: 5, scoreThreshold: threshold },
      { k: 2, offset: 1, scoreThreshold: threshold },
      { k: 5, filter: { tags: { containsAny: ["rock"] } } },
      { k: 5, filter: { "src.lang": { exists: false }, "src.site": { exists: true } } },
    ];
    for (const o of cases) {
      const req = { text: "glacier ice valleys", ...o };
      const got = await lib.search(req);
      expect(await remote.search(req)).toEqual([...got]);
      const args = ["search", "-k", String(o.k), "--json", "--dir", join(root, "cli"), "-c", "docs", "glacier ice valleys"];
      if (o.offset !== undefined) args.push("--offset", String(o.offset));
      if (o.scoreThreshold !== undefined) args.push("--score-threshold", String(o.scoreThreshold));
      if (o.filter !== undefined) args.push("--filter", JSON.stringify(o.filter));
      const cli = await sparsedb(args, { cwd: root });
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).map((h: { id: string }) => h.id)).toEqual(got.map((h) => h.id));
    }
    expect((await lib.search({ text: "glacier ice valleys", k: 2, offset: 1 })).map((h) => h.id)).toEqual(all.slice(1, 3).map((h) => h.id));
    expect((await lib.search({ text: "glacier ice valleys", k: 5, scoreThreshold: threshold })).map((h) => h.id)).toEqual(all.filter((h) => h.score >= threshold).map((h) => h.id));
    // The CLI numbers a page's hits by their rank in the whole ranking.
    const page = await sparsedb(["search", "-k", "2", "--offset", "3", "--connect", `127.0.0.1:${server.port}`, "-c", "docs", "glacier ice valleys"], { cwd: root });
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout).toMatch(new RegExp(`^  4\\. ${all[3]!.id} .*\\n  5\\. ${all[4]!.id} `));
  });
});
