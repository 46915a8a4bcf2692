import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { Database, type Collection } from "../../engine/database.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import type { RemoteCollection } from "../../engine/client/remote-collection.js";
import { RawConnection } from "../server/raw-socket.js";
import { sparsedb } from "../cli/cli-harness.js";
import { errorOf, expectCliError, openEntryPoints, type EntryPoints } from "../engine/entry-points.js";

/**
 * Bad requests of the document operations get the same error from the library, from
 * SparseClient, from raw frames and (where a command says the same) from the CLI, on a folder
 * and through --connect. Each row: the call, its frame, and optionally its command line.
 */
interface Row {
  name: string;
  call: (c: Collection | RemoteCollection) => Promise<unknown>;
  op: string;
  /** The frame's args; absent where a frame cannot say it (a delete's map argument is its args). */
  args?: Record<string, unknown>;
  code: string;
  message: string;
  cli?: string[];
}

const MANY_FIELDS = Array.from({ length: 1025 }, (_, i) => `f${i}`);

const ROWS: Row[] = [
  { name: "include not a map", call: (c) => c.search({ text: "glacier", k: 3, include: "text" as never }), op: "search", args: { text: "glacier", k: 3, include: "text" }, code: "INVALID_ARGUMENT", message: "search: include must be a map {text?: boolean, metadata?: boolean | [field, ...]}, got a string" },
  { name: "unknown include field", call: (c) => c.search({ text: "glacier", k: 3, include: { vector: true } as never }), op: "search", args: { text: "glacier", k: 3, include: { vector: true } }, code: "INVALID_ARGUMENT", message: 'search: include has an unknown field "vector"; it knows "text" and "metadata"' },
  { name: "include.text not a boolean", call: (c) => c.get("g", { include: { text: "yes" as never } }), op: "get", args: { id: "g", include: { text: "yes" } }, code: "INVALID_ARGUMENT", message: "get: include.text must be a boolean, got a string" },
  { name: "include.metadata a string", call: (c) => c.getMany(["g"], { include: { metadata: "lang" as never } }), op: "getMany", args: { ids: ["g"], include: { metadata: "lang" } }, code: "INVALID_ARGUMENT", message: "getMany: include.metadata must be true, false or a list of field names (dotted paths reach nested fields), got a string" },
  { name: "include.metadata with a number", call: (c) => c.search({ text: "glacier", k: 3, include: { metadata: ["lang", 3] as never } }), op: "search", args: { text: "glacier", k: 3, include: { metadata: ["lang", 3] } }, code: "INVALID_ARGUMENT", message: "search: include.metadata[1] must be a non-empty field name, got a number" },
  { name: "include.metadata with too many fields", call: (c) => c.search({ text: "glacier", k: 3, include: { metadata: MANY_FIELDS } }), op: "search", args: { text: "glacier", k: 3, include: { metadata: MANY_FIELDS } }, code: "INVALID_ARGUMENT", message: "search: include.metadata lists 1025 fields; at most 1024", cli: ["search", "glacier", "--fields", MANY_FIELDS.join(",")] },
  { name: "getMany of a string", call: (c) => c.getMany("g" as never), op: "getMany", args: { ids: "g" }, code: "INVALID_ARGUMENT", message: "getMany takes an array of ids, got a string" },
  { name: "getMany with a number id", call: (c) => c.getMany(["g", 4] as never), op: "getMany", args: { ids: ["g", 4] }, code: "INVALID_ARGUMENT", message: "getMany: id 1: id must be a string, got a number" },
  { name: "count with a filter not a map", call: (c) => c.count("lang" as never), op: "count", args: { filter: "lang" }, code: "INVALID_ARGUMENT", message: "count: filter must be a map (see the filter language), got a string", cli: ["count", "--filter", '"lang"'] },
  { name: "count with a bad operator", call: (c) => c.count({ lang: { like: "e%" } } as never), op: "count", args: { filter: { lang: { like: "e%" } } }, code: "INVALID_ARGUMENT", message: 'count: filter.lang.like: unknown operator "like"; use one of eq, in, gt, gte, lt, lte, contains, containsAny, containsAll, exists (or and/or/not around field conditions)', cli: ["count", "--filter", '{"lang": {"like": "e%"}}'] },
  { name: "delete by a bad filter", call: (c) => c.delete({ filter: { year: { gt: "x" } } } as never), op: "delete", args: { filter: { year: { gt: "x" } } }, code: "INVALID_ARGUMENT", message: 'delete: filter.year.gt: range bounds must be finite numbers, got the string "x"', cli: ["delete", "--filter", '{"year": {"gt": "x"}}'] },
  { name: "delete of a map without filter", call: (c) => c.delete({ ids: ["g"] } as never), op: "delete", code: "INVALID_ARGUMENT", message: "delete: give an array of ids or {filter: {...}}; the map has no filter" },
  { name: "setMetadata on a missing id", call: (c) => c.setMetadata("nope", { a: 1 }), op: "setMetadata", args: { id: "nope", patch: { a: 1 } }, code: "NOT_FOUND", message: 'setMetadata: no document with id "nope"; upsert it first', cli: ["set-metadata", "nope", '{"a": 1}'] },
  { name: "setMetadata with a patch not a map", call: (c) => c.setMetadata("g", [1, 2] as never), op: "setMetadata", args: { id: "g", patch: [1, 2] }, code: "INVALID_ARGUMENT", message: "setMetadata: the patch must be a map of top-level metadata fields (a field set to null is removed), got an array", cli: ["set-metadata", "g", "[1, 2]"] },
  { name: "setMetadata with no patch", call: (c) => c.setMetadata("g", undefined as never), op: "setMetadata", args: { id: "g" }, code: "INVALID_ARGUMENT", message: "setMetadata: the patch must be a map of top-level metadata fields (a field set to null is removed), got nothing" },
  { name: "setMetadata with a number id", call: (c) => c.setMetadata(5 as never, { a: 1 }), op: "setMetadata", args: { id: 5, patch: { a: 1 } }, code: "INVALID_ARGUMENT", message: "setMetadata: id must be a string, got a number" },
];

describe("bad requests of the document operations, through every entry point", () => {
  let root: string;
  let db: Database;
  let client: SparseClient;
  let raw: RawConnection;
  const DOC = [{ id: "g", text: "glaciers carve deep valleys", metadata: { lang: "en", year: 2001 } }];

  let entry: EntryPoints;

  beforeAll(async () => {
    entry = await openEntryPoints("sparsedb-documents-bad-", DOC);
    ({ root, db, client, raw } = entry);
  });

  afterAll(() => entry?.close());

  it.each(ROWS.map((r) => [r.name, r] as const))("%s", async (_name, row) => {
    const expected = { code: row.code, message: row.message };
    expect(await errorOf(row.call(await db.collection("docs"))), "library").toEqual(expected);
    expect(await errorOf(row.call(await client.collection("docs"))), "SparseClient").toEqual(expected);
    if (row.args !== undefined) {
      raw.request(1, row.op, { collection: "docs", ...row.args });
      expect(await raw.next(), "raw frame").toMatchObject({ id: 1, error: expected });
    }
    if (row.cli !== undefined) await expectCliError(entry, row.cli, expected);
  });

  it("the wire refuses ids and filter together, and getMany beyond the batch limit", async () => {
    raw.request(2, "delete", { collection: "docs", ids: ["g"], filter: { lang: "en" } });
    expect(await raw.next()).toMatchObject({ id: 2, error: { code: "INVALID_ARGUMENT", message: "delete: give ids or filter, not both" } });
    raw.request(3, "getMany", { collection: "docs", ids: Array.from({ length: 10_001 }, (_, i) => `d${i}`) });
    expect(await raw.next()).toMatchObject({ id: 3, error: { code: "LIMIT_EXCEEDED" } });
    expect(await (await db.collection("docs")).count()).toBe(1); // nothing was deleted
  });

  it("the CLI says how to use the new commands", async () => {
    const dir = ["--dir", join(root, "cli"), "-c", "docs"];
    expect(await sparsedb(["set-metadata", "g", ...dir], { cwd: root })).toMatchObject({ code: 2, stderr: expect.stringContaining("set-metadata needs a document id and a JSON patch") });
    expect(await sparsedb(["set-metadata", "g", "{nope", ...dir], { cwd: root })).toMatchObject({ code: 2, stderr: expect.stringContaining("the patch is not valid JSON") });
    expect(await sparsedb(["delete", "g", "--filter", "{}", ...dir], { cwd: root })).toMatchObject({ code: 2, stderr: expect.stringContaining("give document ids or --filter, not both") });
    expect(await sparsedb(["count", "extra", ...dir], { cwd: root })).toMatchObject({ code: 2 });
    expect(await sparsedb(["count", "--filter", "{bad", ...dir], { cwd: root })).toMatchObject({ code: 2, stderr: expect.stringContaining("--filter is not valid JSON") });
  });
});
