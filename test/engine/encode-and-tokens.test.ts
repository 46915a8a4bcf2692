import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { formatEncoded } from "../../engine/cli/commands/encode.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { RawConnection } from "../server/raw-socket.js";
import { sparsedb } from "../cli/cli-harness.js";
import { openEntryPoints, type EntryPoints } from "./entry-points.js";
import type { SearchRequest } from "../../engine/requests.js";

const vocab = WordPieceTokenizer.builtin().vocabulary;
const id = (token: string) => vocab.idOf(token)!;
const DOCS = [
  { id: "g", text: "glaciers carve deep valleys" },
  { id: "r", text: "the rainforest is a jungle of rain" },
  { id: "y", text: "in 1990 the forest burned" },
];

describe("encode and token-keyed vectors (library, wire, client, CLI)", () => {
  let root: string, db: Database, server: SparseServer, client: SparseClient, raw: RawConnection;

  let entry: EntryPoints;
  beforeAll(async () => {
    entry = await openEntryPoints("sparsedb-encode-", DOCS);
    ({ root, db, server, client, raw } = entry);
  });
  afterAll(() => entry?.close());

  it("encode gives the encoder's vector as tokens, heaviest first, with its non-zeros; the same over the wire", async () => {
    const c = await db.collection("docs");
    const doc = await c.encode("glaciers carve deep valleys deep");
    expect(doc.role).toBe("document");
    expect(doc.tokens.map((t) => t.token).sort()).toEqual(["##ve", "car", "deep", "glaciers", "valleys"]);
    expect(doc.tokens[0]!.token).toBe("deep"); // twice in the text: the heaviest BM25 weight
    expect(doc.nnz).toBe(5);
    for (let i = 1; i < doc.tokens.length; i++) expect(doc.tokens[i - 1]!.weight).toBeGreaterThanOrEqual(doc.tokens[i]!.weight);
    for (const t of doc.tokens) expect(vocab.tokenOf(t.termId)).toBe(t.token);
    // The document vector is the one an upsert stores.
    await c.upsert([{ id: "probe", text: "glaciers carve deep valleys deep" }]);
    const stored = (await c.get("probe"))!.vector;
    expect(Object.fromEntries(doc.tokens.map((t) => [t.termId, Math.fround(t.weight)]))).toEqual(stored.toTermMap());
    await c.delete(["probe"]);
    // BM25 does not expand: no expansion marks.
    expect(doc.expansionTerms).toBeUndefined();
    expect(doc.tokens.every((t) => t.expansion === undefined)).toBe(true);
    // As a query: IDF weights, rarer terms heavier ("jungle" is in one document, "the" in two).
    const q = await c.encode("the jungle", { role: "query" });
    expect(q.role).toBe("query");
    expect(q.tokens.map((t) => t.token)).toEqual(["jungle", "the"]);
    expect(await (await client.collection("docs")).encode("glaciers carve deep valleys deep")).toEqual(doc);
    expect(await (await client.collection("docs")).encode("the jungle", { role: "query" })).toEqual(q);
  });

  it("encode refuses bad input with a clear error, everywhere", async () => {
    const c = await db.collection("docs");
    const remote = await client.collection("docs");
    for (const target of [c, remote]) {
      await expect(target.encode(42 as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: "encode: text must be a string, got a number" });
      await expect(target.encode("x", { role: "summary" as never })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: 'encode: role must be "document" or "query", got "summary"' });
      await expect(target.encode("x", "query" as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: "encode: options must be an object {role?}, got a string" });
    }
    raw.request(1, "encode", { collection: "docs", text: "x", role: 3 });
    expect(await raw.next()).toMatchObject({ id: 1, error: { code: "INVALID_ARGUMENT", message: "encode: role must be \"document\" or \"query\", got a number" } });
    raw.request(2, "encode", { collection: "nope", text: "x" });
    expect(await raw.next()).toMatchObject({ id: 2, error: { code: "NOT_FOUND" } });
  });

  it("a {tokens: {...}} vector goes through the vocabulary in upserts and searches, locally and over the wire; decimal tokens are tokens", async () => {
    const c = await db.collection("docs");
    const remote = await client.collection("docs");
    await c.upsert([{ id: "t1", vector: { tokens: { rainforest: 1.2, jungle: 0.8 } } }]);
    await remote.upsert([{ id: "t2", vector: { tokens: { "1990": 2 } } }]);
    expect((await c.get("t1"))!.vector.toTermMap()).toEqual({ [id("rainforest")]: Math.fround(1.2), [id("jungle")]: Math.fround(0.8) });
    // "1990" the token (id 2901), not term id 1990.
    expect((await c.get("t2"))!.vector.toTermMap()).toEqual({ [id("1990")]: 2 });
    expect(id("1990")).not.toBe(1990);
    const byIds = await c.search({ vector: { terms: [id("rainforest"), id("1990")], weights: [1, 0.5] }, k: 5 });
    expect(byIds.map((h) => h.id)).toContain("t1");
    const byTokens = { vector: { tokens: { rainforest: 1, "1990": 0.5 } }, k: 5 };
    expect(await c.search(byTokens)).toEqual(byIds);
    expect(await remote.search(byTokens)).toEqual(byIds);
    raw.request(3, "search", { collection: "docs", ...byTokens });
    expect((await raw.next()).result).toEqual(byIds);
    await c.delete(["t1", "t2"]);
  });

  it("searchBatch takes token-keyed vectors as search does: the library, the client and raw frames; an unknown token names its request", async () => {
    const c = await db.collection("docs");
    const remote = await client.collection("docs");
    const requests: SearchRequest[] = [{ vector: { tokens: { rainforest: 1, jungle: 0.5 } }, k: 3 }, { text: "glaciers", k: 2 }, { vector: { tokens: { "1990": 1 } }, k: 3 }];
    const one = [];
    for (const r of requests) one.push([...(await c.search(r))]);
    expect(one[0]!.map((h) => h.id)).toEqual(["r"]);
    expect(one[2]!.map((h) => h.id)).toEqual(["y"]);
    expect((await c.searchBatch(requests)).map((h) => [...h])).toEqual(one);
    expect(await remote.searchBatch(requests)).toEqual(one);
    raw.request(4, "searchBatch", { collection: "docs", requests });
    expect((await raw.next()).result).toEqual(one);
    const bad = [{ text: "x", k: 1 }, { vector: { tokens: { Rainforest: 1 } }, k: 1 }];
    for (const target of [c, remote]) {
      await expect(target.searchBatch(bad)).rejects.toMatchObject({ code: "INVALID_VECTOR", message: expect.stringMatching(/^searchBatch: request 1: search: query: unknown token "Rainforest"/) });
    }
    // A malformed token map is refused by the client before it is sent, with the library's words.
    const malformed = [{ vector: { tokens: { rain: "heavy" } }, k: 1 }];
    const lib = await c.searchBatch(malformed as never).catch((e) => e);
    const wire = await remote.searchBatch(malformed as never).catch((e) => e);
    expect(lib).toMatchObject({ code: "INVALID_VECTOR", message: expect.stringMatching(/^searchBatch: request 0: /) });
    expect({ code: wire.code, message: wire.message }).toEqual({ code: lib.code, message: lib.message });
  });

  it("the CLI: encode prints the article's dict and the non-zeros (or JSON); search --vector takes tokens, on a folder and through a server", async () => {
    const dir = ["--dir", join(root, "cli"), "-c", "docs"];
    const text = await sparsedb(["encode", "glaciers carve deep valleys deep", ...dir], { cwd: root });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^\{'deep': \d\.\d\d, '(glaciers|car|##ve|valleys)': \d\.\d\d, .*\}\n5 non-zero terms \(document vector\)\n$/);
    const json = await sparsedb(["encode", "the jungle", "--role", "query", "--json", ...dir], { cwd: root });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ role: "query", nnz: 2, tokens: [{ token: "jungle", termId: id("jungle") }, { token: "the" }] });
    const bad = await sparsedb(["encode", "x", "--role", "summary", ...dir], { cwd: root });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_ARGUMENT: encode: role must be "document" or "query", got "summary"');
    expect((await sparsedb(["encode", ...dir], { cwd: root })).code).toBe(2);

    for (const where of [dir, ["--connect", `127.0.0.1:${server.port}`, "-c", "docs"]]) {
      const r = await sparsedb(["search", "--vector", '{"tokens": {"rainforest": 1.2, "jungle": 0.8}}', "--json", ...where], { cwd: root });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).map((h: { id: string }) => h.id)).toEqual(["r"]);
      const unknown = await sparsedb(["search", "--vector", '{"tokens": {"Rainforest": 1}}', ...where], { cwd: root });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/INVALID_VECTOR: search: query: unknown token "Rainforest": .*sparsedb encode "TEXT"/);
    }
  });

  it("vocabulary: the collection's tokens by term id, the same from the library, the client and raw frames; bad arguments refused", async () => {
    const local = (await (await db.collection("docs")).vocabulary())!;
    expect(local.size).toBe(vocab.size);
    expect(local.idOf("rainforest")).toBe(id("rainforest"));
    const remote = await client.collection("docs");
    const fetched = (await remote.vocabulary())!;
    expect(fetched.tokens).toEqual(local.tokens);
    expect(await remote.vocabulary()).toBe(fetched); // fetched once per RemoteCollection
    raw.request(11, "vocabulary", { collection: "docs" });
    const reply = (await raw.next()) as { id: number; result: { tokens: string[] } };
    expect(reply.result.tokens[id("jungle")]).toBe("jungle");
    expect(reply.result.tokens).toHaveLength(vocab.size);
    raw.request(13, "vocabulary", { collection: "nope" });
    expect(await raw.next()).toMatchObject({ id: 13, error: { code: "NOT_FOUND" } });
    raw.request(14, "vocabulary", { collection: 5 });
    expect(await raw.next()).toMatchObject({ id: 14, error: { code: "INVALID_ARGUMENT" } });
    await expect(client.collection("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("formats tokens as Python's repr does, small weights with two significant digits", () => {
    const out = formatEncoded({ role: "document", nnz: 3, tokens: [{ token: "pc", termId: 1, weight: 3.0213 }, { token: "it's", termId: 2, weight: 0.5 }, { token: "a\\b", termId: 3, weight: 0.0042 }] });
    expect(out).toBe(`{'pc': 3.02, "it's": 0.50, 'a\\\\b': 0.0042}\n3 non-zero terms (document vector)\n`);
    const splade = formatEncoded({ role: "query", nnz: 2, tokens: [{ token: "pc", termId: 1, weight: 3, expansion: false }, { token: "lace", termId: 2, weight: 2.95, expansion: true }], expansionTerms: 1 });
    expect(splade).toBe("{'pc': 3.00, 'lace': 2.95}\n2 non-zero terms (query vector); 1 expansion term not in the text: 'lace'\n");
  });
});
