import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Database, type Collection } from "../../engine/database.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import type { RemoteCollection } from "../../engine/client/remote-collection.js";
import { RawConnection } from "../server/raw-socket.js";
import { SparseDbError } from "../../engine/errors.js";
import { errorOf, expectCliError, openEntryPoints, type EntryPoints } from "./entry-points.js";

/**
 * Every entry point rejects the same bad request with the same error: the library's Collection,
 * SparseClient (through a server), raw protocol frames to the server, and the CLI (on a local
 * folder and through --connect). Each row is one bad request; `wire: false` marks values a
 * MessagePack frame cannot carry, `cli` the arguments that say the same on a command line.
 */
type Op = "search" | "upsert" | "get" | "delete";
interface Row {
  name: string;
  op: Op;
  /** The argument: a search request, the docs of an upsert, an id for get, the ids of a delete. */
  arg: unknown;
  code: string;
  message: string;
  wire?: boolean;
  cli?: string[];
}

const circular: Record<string, unknown> = { a: { b: 1 } };
(circular.a as Record<string, unknown>).self = circular;
const longId = "x".repeat(2000);

const ROWS: Row[] = [
  { name: "k as a string", op: "search", arg: { text: "glacier", k: "10" }, code: "INVALID_ARGUMENT", message: "search: k must be a number, got a string", cli: ["search", "-k", "ten", "glacier"] },
  { name: "k zero", op: "search", arg: { text: "glacier", k: 0 }, code: "INVALID_ARGUMENT", message: "search: k must be an integer in 1..10000, got 0", cli: ["search", "-k", "0", "glacier"] },
  { name: "k above the library's limit", op: "search", arg: { text: "glacier", k: 20_000 }, code: "INVALID_ARGUMENT", message: "search: k must be an integer in 1..10000, got 20000", cli: ["search", "-k", "20000", "glacier"] },
  { name: "k not whole", op: "search", arg: { text: "glacier", k: 1.5 }, code: "INVALID_ARGUMENT", message: "search: k must be an integer in 1..10000, got 1.5", cli: ["search", "-k", "1.5", "glacier"] },
  { name: "both vector and text", op: "search", arg: { text: "glacier", vector: { 5: 1 }, k: 3 }, code: "INVALID_ARGUMENT", message: "search: give exactly one of vector and text, not both", cli: ["search", "--vector", '{"5": 1}', "glacier"] },
  { name: "neither vector nor text", op: "search", arg: { k: 3 }, code: "INVALID_ARGUMENT", message: "search needs a vector, a text or a dense vector" },
  { name: "weights as strings", op: "search", arg: { vector: { terms: [5], weights: ["0.5"] }, k: 3 }, code: "INVALID_VECTOR", message: "search: query: entry 0: weight of term 5 must be a number, got a string", cli: ["search", "--vector", '{"terms": [5], "weights": ["0.5"]}'] },
  { name: "term map weights as strings", op: "search", arg: { vector: { 5: "0.5" }, k: 3 }, code: "INVALID_VECTOR", message: "search: query: entry 0: weight of term 5 must be a number, got a string", cli: ["search", "--vector", '{"5": "0.5"}'] },
  { name: "unknown token in a query", op: "search", arg: { vector: { tokens: { rainforestry: 1.2, jungle: 0.8 } }, k: 3 }, code: "INVALID_VECTOR", message: 'search: query: unknown token "rainforestry": the collection\'s vocabulary (30522 WordPiece tokens) has no such token; see the tokens a text becomes with `sparsedb encode "TEXT"` (collection.encode in the library)', cli: ["search", "--vector", '{"tokens": {"rainforestry": 1.2, "jungle": 0.8}}'] },
  { name: "tokens not a map", op: "search", arg: { vector: { tokens: ["rain"] }, k: 3 }, code: "INVALID_VECTOR", message: "search: query: vector.tokens must be a map {token: weight}, got an array", cli: ["search", "--vector", '{"tokens": ["rain"]}'] },
  { name: "token weight as a string", op: "search", arg: { vector: { tokens: { rain: "1" } }, k: 3 }, code: "INVALID_VECTOR", message: 'search: query: the weight of token "rain" must be a number, got a string', cli: ["search", "--vector", '{"tokens": {"rain": "1"}}'] },
  { name: "tokens and terms together", op: "search", arg: { vector: { tokens: { rain: 1 }, terms: [5], weights: [1] }, k: 3 }, code: "INVALID_VECTOR", message: "search: query: give a vector either as {terms, weights} or as {tokens}, not both" },
  { name: "a token as a term-map key", op: "search", arg: { vector: { rain: 1 }, k: 3 }, code: "INVALID_VECTOR", message: 'search: query: term map key "rain" is not a non-negative integer term id; to key a vector by tokens, write {"tokens": {"rain": ...}}', cli: ["search", "--vector", '{"rain": 1}'] },
  { name: "unknown token in a document", op: "upsert", arg: [{ id: "a", vector: { tokens: { glacier: 1, "zz-not-a-token": 2 } } }], code: "INVALID_VECTOR", message: 'document 0 (id "a"): unknown token "zz-not-a-token": the collection\'s vocabulary (30522 WordPiece tokens) has no such token; see the tokens a text becomes with `sparsedb encode "TEXT"` (collection.encode in the library)' },
  { name: "negative token weight in a document", op: "upsert", arg: [{ id: "a", vector: { tokens: { glacier: -1 } } }], code: "INVALID_VECTOR", message: 'document 0 (id "a"): document weights must be >= 0 (token "glacier" has -1)' },
  { name: "text as a number", op: "search", arg: { text: 42, k: 3 }, code: "INVALID_ARGUMENT", message: "search: text must be a string, got a number" },
  { name: "unknown mode", op: "search", arg: { text: "glacier", k: 3, mode: "slow" }, code: "INVALID_ARGUMENT", message: 'search: mode must be "exact" or "fast" or "approximate", got "slow"', cli: ["search", "--mode", "slow", "glacier"] },
  { name: "recall out of range", op: "search", arg: { text: "glacier", k: 3, mode: "approximate", recall: 2 }, code: "INVALID_ARGUMENT", message: 'search: recall must be a number in 0.8..0.999 (the recall@k approximate mode must reach), got 2; use mode "exact" for recall 1', cli: ["search", "--mode", "approximate", "--recall", "2", "glacier"] },
  { name: "recall without mode approximate", op: "search", arg: { text: "glacier", k: 3, recall: 0.9 }, code: "INVALID_ARGUMENT", message: 'search: recall applies to mode "approximate" only (mode is "exact")' },
  { name: "explain as a string", op: "search", arg: { text: "glacier", k: 3, explain: "yes" }, code: "INVALID_ARGUMENT", message: "search: explain must be a boolean, got a string" },
  { name: "bad filter operator", op: "search", arg: { text: "glacier", k: 3, filter: { lang: { like: "e%" } } }, code: "INVALID_ARGUMENT", message: 'filter.lang.like: unknown operator "like"; use one of eq, in, gt, gte, lt, lte, contains, containsAny, containsAll, exists (or and/or/not around field conditions)', cli: ["search", "--filter", '{"lang": {"like": "e%"}}', "glacier"] },
  { name: "document id too long", op: "upsert", arg: [{ id: longId, text: "x" }], code: "INVALID_ARGUMENT", message: "document 0: id must be 1..1024 characters long, got 2000" },
  { name: "document id with a lone surrogate", op: "upsert", arg: [{ id: "a\ud800", text: "x" }], code: "INVALID_ARGUMENT", message: 'document 0: id "a\\ud800" is not well-formed Unicode (it has a lone surrogate): use valid UTF-16 text', wire: false },
  { name: "document id a number", op: "upsert", arg: [{ id: 7, text: "x" }], code: "INVALID_ARGUMENT", message: "document 0: id must be a string, got a number" },
  { name: "document text a number", op: "upsert", arg: [{ id: "a", text: 42 }], code: "INVALID_ARGUMENT", message: 'document 0 (id "a"): text must be a string, got a number' },
  { name: "document with vector and a numeric text", op: "upsert", arg: [{ id: "a", text: 7, vector: { 5: 1 } }], code: "INVALID_ARGUMENT", message: 'document 0 (id "a"): text must be a string, got a number' },
  { name: "document weights as strings", op: "upsert", arg: [{ id: "a", vector: { 5: "1" } }], code: "INVALID_VECTOR", message: 'document 0 (id "a"): entry 0: weight of term 5 must be a number, got a string' },
  { name: "metadata not a map", op: "upsert", arg: [{ id: "a", text: "x", metadata: "en" }], code: "INVALID_ARGUMENT", message: 'document 0 (id "a"): metadata must be a map of fields, got a string' },
  { name: "circular metadata", op: "upsert", arg: [{ id: "a", text: "x", metadata: circular }], code: "INVALID_ARGUMENT", message: 'document 0 (id "a"): metadata is circular (metadata.a.self refers back to an object that contains it); metadata must be plain data', wire: false },
  { name: "upsert of a non-array", op: "upsert", arg: { id: "a", text: "x" }, code: "INVALID_ARGUMENT", message: "upsert takes an array of documents [{id, vector | text, metadata?}], got an object" },
  { name: "get with a long id", op: "get", arg: longId, code: "INVALID_ARGUMENT", message: "get: id must be 1..1024 characters long, got 2000", cli: ["get", longId] },
  { name: "get with a number", op: "get", arg: 12, code: "INVALID_ARGUMENT", message: "get: id must be a string, got a number" },
  { name: "delete of a string", op: "delete", arg: "a", code: "INVALID_ARGUMENT", message: "delete takes an array of ids, got a string" },
  { name: "delete of a number id", op: "delete", arg: ["a", 5], code: "INVALID_ARGUMENT", message: "delete: id 1: id must be a string, got a number" },
];

type Target = Collection | RemoteCollection;

async function viaCollection(c: Target, row: Row): Promise<unknown> {
  const x = row.arg as never;
  switch (row.op) {
    case "search":
      return c.search(x);
    case "upsert":
      return c.upsert(x);
    case "get":
      return c.get(x);
    case "delete":
      return c.delete(x);
  }
}

function wireArgs(row: Row): Record<string, unknown> {
  switch (row.op) {
    case "search":
      return { collection: "docs", ...(row.arg as object) };
    case "upsert":
      return { collection: "docs", docs: row.arg };
    case "get":
      return { collection: "docs", id: row.arg };
    case "delete":
      return { collection: "docs", ids: row.arg };
  }
}

describe("every entry point rejects the same bad requests with the same error", () => {
  let servedDb: Database, localDb: Database;
  let client: SparseClient;
  let raw: RawConnection;
  const DOC = [{ id: "g", text: "glaciers carve deep valleys", metadata: { lang: "en" } }];

  let entry: EntryPoints;

  beforeAll(async () => {
    // A folder the CLI opens on its own, and a database the server serves (the library's own).
    entry = await openEntryPoints("sparsedb-one-door-", DOC);
    ({ db: servedDb, client, raw } = entry);
    localDb = servedDb;
  });

  afterAll(() => entry?.close());

  it.each(ROWS.map((r) => [r.name, r] as const))("%s", async (_name, row) => {
    const expected = { code: row.code, message: row.message };
    expect(await errorOf(viaCollection(await localDb.collection("docs"), row)), "library").toEqual(expected);
    expect(await errorOf(viaCollection(await client.collection("docs"), row)), "SparseClient").toEqual(expected);
    if (row.wire !== false) {
      raw.request(1, row.op, wireArgs(row));
      const reply = await raw.next();
      expect(reply, "raw frame").toMatchObject({ id: 1, error: expected });
    }
    if (row.cli !== undefined) await expectCliError(entry, row.cli, expected);
  });

  it("the server's own limits come after the library's rules, as LIMIT_EXCEEDED", async () => {
    const expected = { code: "LIMIT_EXCEEDED", message: "search: k is 5000; this server returns at most 1000 hits" };
    expect(await errorOf((await client.collection("docs")).search({ text: "glacier", k: 5000 }))).toEqual(expected);
    raw.request(2, "search", { collection: "docs", text: "glacier", k: 5000 });
    expect(await raw.next()).toMatchObject({ id: 2, error: expected });
    // The library itself returns up to 10000 hits.
    expect(await (await localDb.collection("docs")).search({ text: "glaciers", k: 5000 })).toHaveLength(1);
  });

  it("a collection config with a mistyped value says which type it got, through every entry point", async () => {
    const expected = { code: "INVALID_ARGUMENT", message: "collection config: bits must be a number, got a string" };
    expect(await errorOf(localDb.createCollection("typed", { bits: "8" as never }))).toEqual(expected);
    expect(await errorOf(client.createCollection("typed", { bits: "8" as never }))).toEqual(expected);
    raw.request(3, "createCollection", { name: "typed", config: { bits: "8" } });
    expect(await raw.next()).toMatchObject({ id: 3, error: expected });
    expect(localDb.hasCollection("typed")).toBe(false);
  });

  it("any search request gets the same outcome from the library and from raw frames (fast-check)", async () => {
    // Values a MessagePack frame carries unchanged (no undefined, no integers beyond 2^32 here).
    const value = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -3, max: 20_000 }),
      fc.double({ min: -10, max: 10 }),
      fc.constantFrom("exact", "fast", "10", "glaciers", ""),
      fc.string({ maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom("1", "5", "2030", "terms", "weights", "tokens", "x"),
        fc.oneof(fc.integer({ min: -2, max: 3 }), fc.string({ maxLength: 2 }), fc.array(fc.oneof(fc.integer({ min: 0, max: 40_000 }), fc.string({ maxLength: 2 })), { maxLength: 2 })),
        { maxKeys: 3 },
      ),
    );
    const request = fc.record({ k: value, text: value, vector: value, mode: value, explain: value, algorithm: value }, { requiredKeys: [] });
    const lib = await localDb.collection("docs");
    let id = 100;
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const viaLib = await lib.search(req as never).then(
          (hits) => ({ ok: hits.map((h) => h.id) }),
          (e: SparseDbError) => ({ code: e.code, message: e.message }),
        );
        raw.request(++id, "search", { collection: "docs", ...req });
        const reply = await raw.next();
        const viaWire = reply.error !== undefined ? { code: reply.error.code, message: reply.error.message } : { ok: (reply.result as { id: string }[]).map((h) => h.id) };
        // The server's maxK (1000) is the one difference, by design.
        if (typeof req.k === "number" && Number.isInteger(req.k) && req.k > 1000 && req.k <= 10_000 && "ok" in viaLib) {
          expect(viaWire).toMatchObject({ code: "LIMIT_EXCEEDED" });
          return;
        }
        expect(viaWire).toEqual(viaLib);
      }),
      { numRuns: 200 },
    );
  });

  it("any upsert gets the same outcome from the library and from raw frames (fast-check)", async () => {
    const fuzz = await localDb.createCollection("fuzz");
    const value = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -3, max: 40_000 }),
      fc.constantFrom("a", "b", "", "glaciers"),
      fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 2 }),
      fc.dictionary(fc.constantFrom("1", "7", "terms", "weights", "lang"), fc.oneof(fc.integer({ min: -1, max: 2 }), fc.string({ maxLength: 2 }), fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 2 })), { maxKeys: 3 }),
    );
    const doc = fc.oneof(value, fc.record({ id: value, text: value, vector: value, metadata: value }, { requiredKeys: [] }));
    const docs = fc.oneof(value, fc.array(doc, { maxLength: 3 }));
    let id = 1000;
    await fc.assert(
      fc.asyncProperty(docs, async (d) => {
        const viaLib = await fuzz.upsert(d as never).then(
          () => ({ ok: true }),
          (e: SparseDbError) => ({ code: e.code, message: e.message }),
        );
        raw.request(++id, "upsert", { collection: "fuzz", docs: d });
        const reply = await raw.next();
        expect(reply.error !== undefined ? { code: reply.error.code, message: reply.error.message } : { ok: true }).toEqual(viaLib);
      }),
      { numRuns: 150 },
    );
  });

  it("good requests still work through every entry point", async () => {
    const lib = await (await localDb.collection("docs")).search({ text: "glacier valleys", k: 3 });
    const remote = await (await client.collection("docs")).search({ text: "glacier valleys", k: 3 });
    expect(lib.map((h) => h.id)).toEqual(["g"]);
    expect(remote.map((h) => h.id)).toEqual(["g"]);
  });
});
