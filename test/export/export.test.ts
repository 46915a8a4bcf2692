import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";
import { DOT_REPLACEMENT } from "../../engine/export/feature-names.js";
import { float32Text } from "../../engine/export/json-values.js";
import { qdrantPointId } from "../../engine/export/qdrant.js";
import { SparseServer } from "../../engine/server/server.js";
import { BERT_VOCAB_SIZE } from "../../engine/vocabulary.js";
import { sparsedb } from "../cli/cli-harness.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-export-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

// BERT term ids: 1012 ".", 2133 "...", 29625 "##.", 7592 "hello"; the default collection's
// vocabulary is BERT's (the built-in BM25 tokenizer).
const DOCS = [
  // A precomputed vector with its text: the text is stored (storeText), so the export carries it.
  { id: "a", vector: { terms: [1012, 7592], weights: [0.5, 1.25] }, text: "Hello. Hello!", metadata: { lang: "en", year: 2001, tags: ["x", "y"] } },
  { id: "b", vector: { terms: [2133, 29625, 30000], weights: [Math.fround(0.1), 3.0199999809265137, 2 ** -140] } },
  { id: "c-😀", vector: { terms: [5, 7592], weights: [7, 0.333] }, metadata: { blob: new Uint8Array([1, 2, 255]), nested: { n: -0 } } },
  { id: "12345", vector: { terms: [7592], weights: [2] }, metadata: { lang: "fr" } },
  { id: "550e8400-e29b-41d4-a716-446655440000", vector: { terms: [100], weights: [1] } },
  { id: "x".repeat(600), vector: { terms: [101], weights: [1] } },
];

/** A database in cwd/db with DOCS, half flushed into a segment and half in the memtable. */
async function makeDatabase(): Promise<void> {
  const db = await Database.open(join(cwd, "db"));
  const c = await db.createCollection("Docs");
  await c.upsert(DOCS.slice(0, 3));
  await c.flush();
  await c.upsert(DOCS.slice(3));
  await db.close();
}

async function run(args: string[]) {
  const r = await sparsedb(args, { cwd });
  expect(r.code, r.stderr).toBe(0);
  return r;
}

function lines(text: string): unknown[] {
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

const sortedIds = DOCS.map((d) => d.id).sort();

describe("sparsedb export", () => {
  for (const [format, vectorType] of [["opensearch", "rank_features"], ["elasticsearch", "sparse_vector"]] as const) {
    it(`${format}: a mapping with a ${vectorType} field, and _bulk NDJSON action + source lines`, async () => {
      await makeDatabase();
      const r = await run(["export", "--dir", "db", "-c", "Docs", "--format", format, "--out", "bulk.ndjson", "--mapping", "mapping.json"]);
      expect(r.stderr).toMatch(/exported: 6 documents of "Docs" as .* to bulk\.ndjson, definition in mapping\.json; 1 ids written as hashes .*; 1 weights below 2\^-126 raised/);
      const mapping = JSON.parse(await readFile(join(cwd, "mapping.json"), "utf8"));
      expect(mapping.mappings.properties).toEqual({ id: { type: "keyword" }, sparse_embedding: { type: vectorType }, text: { type: "text" }, metadata: { type: "object" } });
      expect(mapping.mappings._meta.sparsedb).toEqual({ collection: "Docs", featureNames: "tokens", dotReplacement: DOT_REPLACEMENT });
      const all = lines(await readFile(join(cwd, "bulk.ndjson"), "utf8")) as Record<string, any>[];
      expect(all.length).toBe(2 * DOCS.length);
      for (let i = 0; i < all.length; i += 2) {
        const action = all[i]!, source = all[i + 1]!;
        const id = sortedIds[i / 2]!;
        // The action line: exactly {"index": {"_index", "_id"}}; index names are lowercase.
        expect(Object.keys(action)).toEqual(["index"]);
        expect(Object.keys(action.index)).toEqual(["_index", "_id"]);
        expect(action.index._index).toBe("docs");
        if (Buffer.byteLength(id) <= 512) expect(action.index._id).toBe(id);
        else expect(action.index._id).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(source.id).toBe(id);
        const features = source.sparse_embedding as Record<string, unknown>;
        const doc = DOCS.find((d) => d.id === id)!;
        expect(Object.keys(features)).toHaveLength(doc.vector.terms.length);
        for (const [name, value] of Object.entries(features)) {
          expect(name).not.toContain(".");
          expect(name.length).toBeGreaterThan(0);
          expect(typeof value).toBe("number");
          expect(value as number).toBeGreaterThanOrEqual(2 ** -126); // strictly positive and normal
          expect(Number.isFinite(value)).toBe(true);
        }
      }
      const byId = new Map(all.filter((_, i) => i % 2 === 1).map((s) => [s.id, s]));
      expect(byId.get("a")!.sparse_embedding).toEqual({ [DOT_REPLACEMENT]: 0.5, hello: 1.25 });
      expect(byId.get("a")!.metadata).toEqual({ lang: "en", year: 2001, tags: ["x", "y"] });
      expect(Object.keys(byId.get("b")!.sparse_embedding)).toEqual(["\u2024\u2024\u2024", "##\u2024", expect.any(String)]);
      expect(byId.get("b")!.sparse_embedding["##\u2024"]).toBe(3.02);
      expect(byId.get("c-😀")!.metadata).toEqual({ blob: "AQL/", nested: { n: 0 } }); // binary as base64
      expect(byId.get("b")!.metadata).toBeUndefined();
    });
  }

  it("qdrant: a collection with a named sparse vector, and PUT points bodies in batches", async () => {
    await makeDatabase();
    await run(["export", "--dir", "db", "-c", "Docs", "--format", "qdrant", "--out", "points.jsonl", "--mapping", "collection.json", "--batch", "4", "--field", "splade"]);
    expect(JSON.parse(await readFile(join(cwd, "collection.json"), "utf8"))).toEqual({ vectors: {}, sparse_vectors: { splade: {} } });
    const bodies = lines(await readFile(join(cwd, "points.jsonl"), "utf8")) as { points: Record<string, any>[] }[];
    expect(bodies.map((b) => b.points.length)).toEqual([4, 2]);
    const points = bodies.flatMap((b) => b.points);
    expect(points.map((p) => p.payload.id)).toEqual(sortedIds);
    for (const p of points) {
      expect(Object.keys(p)).toEqual(["id", "vector", "payload"]);
      expect(typeof p.id === "number" ? Number.isSafeInteger(p.id) && p.id >= 0 : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(p.id)).toBe(true);
      const { indices, values } = p.vector.splade;
      const doc = DOCS.find((d) => d.id === p.payload.id)!;
      expect(indices).toEqual(doc.vector.terms);
      expect(values.map(Math.fround)).toEqual(doc.vector.weights.map(Math.fround));
      for (let i = 1; i < indices.length; i++) expect(indices[i]).toBeGreaterThan(indices[i - 1]);
      for (const t of indices) expect(Number.isInteger(t) && t >= 0 && t < 2 ** 32).toBe(true);
    }
    expect(points.find((p) => p.payload.id === "12345")!.id).toBe(12345);
    expect(points.find((p) => p.payload.id === "550e8400-e29b-41d4-a716-446655440000")!.id).toBe("550e8400-e29b-41d4-a716-446655440000");
    expect(points.find((p) => p.payload.id === "a")!.id).toBe(qdrantPointId("a"));
    expect(points.find((p) => p.payload.id === "a")!.payload.metadata).toEqual({ lang: "en", year: 2001, tags: ["x", "y"] });
  });

  it("qdrant point ids: numbers, UUIDs, and stable distinct name-based UUIDs for the rest", () => {
    expect(qdrantPointId("0")).toBe(0);
    expect(qdrantPointId("9007199254740991")).toBe(9007199254740991);
    expect(qdrantPointId("9007199254740992")).toMatch(/^[0-9a-f-]{36}$/);
    expect(qdrantPointId("007")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(qdrantPointId("550E8400-E29B-41D4-A716-446655440000")).not.toBe("550E8400-E29B-41D4-A716-446655440000");
    expect(qdrantPointId("doc-1")).toBe(qdrantPointId("doc-1"));
    expect(qdrantPointId("doc-1")).not.toBe(qdrantPointId("doc-2"));
  });

  it("jsonl -> import into a new collection: every document equal (vectors bit-identical) and search results equal", async () => {
    await makeDatabase();
    await run(["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--out", "docs.jsonl", "--mapping", "config.json"]);
    expect(JSON.parse(await readFile(join(cwd, "config.json"), "utf8")).sparsedb.collection).toBe("Docs");
    const text = await readFile(join(cwd, "docs.jsonl"), "utf8");
    expect(text).toContain('"weights":[0.1,3.02,'); // the shortest digits that give back the float32
    expect(text).toContain('"metadataMsgpack":'); // binary metadata and -0 are kept exactly
    const imported = await run(["import", "--dir", "db", "-c", "copy", "docs.jsonl"]);
    expect(imported.stdout).toMatch(/6 documents written; collection now holds 6/);
    const db = await Database.open(join(cwd, "db"));
    try {
      const a = await db.collection("Docs"), b = await db.collection("copy");
      for (const d of DOCS) {
        const x = (await a.get(d.id))!, y = (await b.get(d.id))!;
        expect(y.id).toBe(x.id);
        expect(Buffer.from(y.vector.terms.buffer)).toEqual(Buffer.from(x.vector.terms.buffer));
        expect(Buffer.from(y.vector.weights.buffer, y.vector.weights.byteOffset, y.vector.weights.byteLength)).toEqual(Buffer.from(x.vector.weights.buffer, x.vector.weights.byteOffset, x.vector.weights.byteLength));
        expect(y.metadata).toEqual(x.metadata);
        expect(y.text).toBe(x.text);
      }
      expect((await a.get("a"))!.text).toBe("Hello. Hello!");
      expect((await b.get("a"))!.text).toBe("Hello. Hello!");
      const n = (m: unknown) => (m as { nested: { n: number } }).nested.n;
      expect(Object.is(n((await b.get("c-😀"))!.metadata), n((await a.get("c-😀"))!.metadata))).toBe(true);
      for (const query of [{ terms: [7592], weights: [1] }, { terms: [1012, 2133, 5], weights: [1, 2, 0.5] }]) {
        expect(await b.search({ vector: query, k: 10 })).toEqual(await a.search({ vector: query, k: 10 }));
      }
      expect(await b.count()).toBe(DOCS.length);
    } finally {
      await db.close();
    }
  });

  it("through a running server with --connect: the same jsonl; features by the server's tokens, by --vocab's, or by term id with --keys ids", async () => {
    await makeDatabase();
    await run(["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--out", "local.jsonl"]);
    await run(["export", "--dir", "db", "-c", "Docs", "--format", "opensearch", "--out", "local.ndjson"]);
    const db = await Database.open(join(cwd, "db"));
    const server = await SparseServer.listen(db, { port: 0 });
    try {
      const at = `127.0.0.1:${server.port}`;
      await run(["export", "--connect", at, "-c", "Docs", "--format", "jsonl", "--out", "remote.jsonl", "--batch", "2"]);
      expect(await readFile(join(cwd, "remote.jsonl"), "utf8")).toBe(await readFile(join(cwd, "local.jsonl"), "utf8"));
      // import --connect reads it back into the server: exported again, the same lines.
      const imported = await sparsedb(["import", "--connect", at, "-c", "Copy", "remote.jsonl"], { cwd });
      expect(imported.code, imported.stderr).toBe(0);
      await run(["export", "--connect", at, "-c", "Copy", "--format", "jsonl", "--out", "copy.jsonl"]);
      expect(await readFile(join(cwd, "copy.jsonl"), "utf8")).toBe(await readFile(join(cwd, "local.jsonl"), "utf8"));
      await run(["export", "--connect", at, "-c", "Docs", "--format", "opensearch", "--out", "remote.ndjson", "--vocab", join(import.meta.dirname, "..", "..", "encoder", "vocab", "bert-base-uncased", "vocab.txt")]);
      expect(await readFile(join(cwd, "remote.ndjson"), "utf8")).toBe(await readFile(join(cwd, "local.ndjson"), "utf8"));
      // Without --vocab the server's vocabulary (the vocabulary op) names them the same way.
      await run(["export", "--connect", at, "-c", "Docs", "--format", "opensearch", "--out", "served-vocab.ndjson"]);
      expect(await readFile(join(cwd, "served-vocab.ndjson"), "utf8")).toBe(await readFile(join(cwd, "local.ndjson"), "utf8"));
      const ids = await run(["export", "--connect", at, "-c", "Docs", "--format", "elasticsearch", "--keys", "ids"]);
      expect(ids.stderr).not.toMatch(/note:/);
      const sourceOfA = (lines(ids.stdout) as Record<string, any>[]).find((l) => l.id === "a")!;
      expect(sourceOfA.sparse_embedding).toEqual({ 1012: 0.5, 7592: 1.25 });
    } finally {
      await server.close();
      await db.close();
    }
  });

  it("stops between pages when interrupted, leaving whole pages (exit 1)", async () => {
    await makeDatabase();
    const r = await sparsedb(["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--batch", "2"], { cwd, interrupted: Promise.resolve("SIGINT") });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/export interrupted: 2 documents of "Docs"/);
    expect(lines(r.stdout).map((d) => (d as { id: string }).id)).toEqual(sortedIds.slice(0, 2));
  });

  it("exports only what --filter matches", async () => {
    await makeDatabase();
    const r = await run(["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--filter", '{"lang": "en"}']);
    expect(lines(r.stdout).map((d) => (d as { id: string }).id)).toEqual(["a"]);
  });

  it("refuses bad usage and bad input with clear messages", async () => {
    await makeDatabase();
    const bad: [string[], number, RegExp][] = [
      [["export", "--dir", "db", "-c", "Docs"], 2, /export needs --format opensearch\|elasticsearch\|qdrant\|jsonl/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "solr"], 2, /--format must be one of opensearch, elasticsearch, qdrant, jsonl, got "solr"/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--batch", "0"], 2, /--batch/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--batch", "10001"], 2, /--batch/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--keys", "words"], 2, /--keys must be tokens or ids/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "qdrant", "--field", "a.b"], 2, /--field must be a non-empty name without dots/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--filter", "{"], 2, /--filter is not valid JSON/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--filter", '{"year": {"gt": "x"}}'], 1, /INVALID_ARGUMENT: filter\.year/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "--vocab", "v.txt"], 2, /--vocab is for --connect/],
      [["export", "--dir", "db", "-c", "Nope", "--format", "jsonl"], 1, /NOT_FOUND/],
      [["export", "--dir", "db", "-c", "Docs", "--format", "jsonl", "out.jsonl"], 2, /--out FILE/],
      [["import", "--dir", "db", "--format", "jsonl", "x.jsonl"], 2, /import reads sparsedb export files only/],
    ];
    for (const [args, code, message] of bad) {
      const r = await sparsedb(args, { cwd });
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stderr).toMatch(message);
    }
  });

  it("import names the file and line of a bad line, and writes nothing then", async () => {
    const good = '{"id":"a","vector":{"terms":[1],"weights":[0.5]}}';
    const cases: [string, RegExp][] = [
      ['{"id":"b","vector":{"terms":[1],"weights":[0.5]},"lang":"en"}', /unknown field "lang"; a sparsedb export line has id, vector, metadata, metadataMsgpack, text/],
      ['{"id":7,"vector":{"terms":[1],"weights":[0.5]}}', /"id" must be a string/],
      ['{"id":"b"}', /needs a "vector"/],
      ['{"id":"b","vector":{"terms":[1,1],"weights":[1,1]}}', /term id 1 appears twice/],
      ['{"id":"b","vector":{"terms":[1],"weights":[-1]}}', /weight/],
      ['{"id":"b","vector":{"terms":[1],"weights":[1]},"metadataMsgpack":"%%"}', /"metadataMsgpack" must be a base64 string/],
      ['{"id":"b","vector":{"terms":[1],"weights":[1]},"metadata":{},"metadataMsgpack":""}', /not both/],
      ['{"id":"b","vector":{"terms":[1],"weights":[1]},"metadata":[1]}', /"metadata" must be an object/],
      ["not json", /not valid JSON/],
    ];
    for (const [line, message] of cases) {
      await writeFile(join(cwd, "in.jsonl"), `${good}\n${line}\n`);
      const r = await sparsedb(["import", "--dir", "db", "-c", "imp", "in.jsonl"], { cwd });
      expect(r.code, line).toBe(1);
      expect(r.stderr).toMatch(/in\.jsonl:2: /);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/nothing was written/);
    }
  });

  it("writes every float32 weight in digits that give it back exactly", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: 0, minExcluded: true }), (w) => {
        expect(Math.fround(Number(float32Text(w)))).toBe(w);
      }),
      { numRuns: 2000 },
    );
    expect(float32Text(Math.fround(0.1))).toBe("0.1");
    expect(BERT_VOCAB_SIZE).toBe(30522);
  });
});
