import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseHostPort } from "../../engine/cli/target.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { Database } from "../../engine/database.js";
import { DEFAULT_PORT, SparseServer } from "../../engine/server/server.js";
import { sparsedb } from "./cli-harness.js";

const TOKEN = "ingest-connect-token";
let cwd: string, db: Database, server: SparseServer, at: string;
const env = { SPARSEDB_TOKEN: TOKEN };

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-ingest-connect-"));
  db = await Database.open(join(cwd, "db"));
  server = await SparseServer.listen(db, { host: "127.0.0.1", port: 0, token: TOKEN, searchThreads: 0 });
  at = `127.0.0.1:${server.port}`;
});
afterEach(async () => {
  await server.close();
  await db.close();
  await rm(cwd, { recursive: true, force: true });
});

const docLine = (i: number) => JSON.stringify({ id: `d${i}`, text: `document number ${i} about glaciers and coffee`, n: i });

describe("sparsedb ingest --connect", () => {
  it("streams a file into a running server in batches, creating the collection there", async () => {
    await writeFile(join(cwd, "docs.jsonl"), Array.from({ length: 23 }, (_, i) => docLine(i)).join("\n") + "\n");
    const r = await sparsedb(["ingest", "--connect", at, "-c", "remote", "--batch", "4", "--in-flight", "2", "docs.jsonl"], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^23 documents written; collection now holds 23$/m);
    expect(r.stderr).toMatch(/created collection "remote" with encoder: lexical BM25/);
    expect(r.stderr).toMatch(/^ingest remote: 23 docs 100\.0% in \d+:\d\d, \d+ docs\/s, 23 written$/m); // one final line off a terminal
    const c = await db.collection("remote");
    expect(await c.count()).toBe(23);
    expect((await c.get("d7"))?.metadata).toEqual({ n: 7 });
    // The same file again replaces, through the server's write path.
    const again = await sparsedb(["ingest", "--connect", at, "-c", "remote", "--on-error", "skip", "docs.jsonl"], { cwd, env });
    expect(again.code, again.stderr).toBe(0);
    expect(await c.count()).toBe(23);
  });

  it("accepts --connect PORT as that port on 127.0.0.1", async () => {
    await writeFile(join(cwd, "docs.jsonl"), docLine(1) + "\n");
    const r = await sparsedb(["ingest", "--connect", String(server.port), "docs.jsonl"], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(await (await db.collection("default")).count()).toBe(1);
    expect(parseHostPort("7712")).toEqual({ host: "127.0.0.1", port: 7712 });
    expect(parseHostPort(":7712")).toEqual({ host: "127.0.0.1", port: 7712 });
    expect(parseHostPort("example.org")).toEqual({ host: "example.org", port: DEFAULT_PORT });
    expect(parseHostPort("[::1]:80")).toEqual({ host: "::1", port: 80 });
    expect(() => parseHostPort("host:99999")).toThrow(/--connect expects HOST:PORT, HOST or PORT/);
    expect(() => parseHostPort("0")).toThrow(/--connect expects/);
  });

  it("says how to pass the token when the server needs one, and when it refuses it", async () => {
    await writeFile(join(cwd, "docs.jsonl"), docLine(1) + "\n");
    const none = await sparsedb(["ingest", "--connect", at, "docs.jsonl"], { cwd });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/UNAUTHORIZED: the server at 127\.0\.0\.1:\d+ needs a token: pass --token or set SPARSEDB_TOKEN/);
    const wrong = await sparsedb(["search", "--connect", at, "--token", "not-the-token", "x"], { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the token .*check --token or SPARSEDB_TOKEN/);
    expect(db.hasCollection("default")).toBe(false);
  });

  it("tells a user whose folder a server holds to go through it with --connect", async () => {
    await writeFile(join(cwd, "docs.jsonl"), docLine(1) + "\n");
    const r = await sparsedb(["ingest", "--dir", "db", "docs.jsonl"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LOCKED: .*go through it: pass --connect HOST:PORT instead of --dir/);
  });

  it("a bad line leaves no new collection on the server", async () => {
    await writeFile(join(cwd, "bad.jsonl"), docLine(1) + '\n{"id": "x", "text": 3}\n');
    const r = await sparsedb(["ingest", "--connect", at, "-c", "fresh", "bad.jsonl"], { cwd, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl:2: "text" must be a string/);
    expect(r.stderr).toMatch(/removed collection "fresh", which this run created/);
    expect(db.hasCollection("fresh")).toBe(false);
    await writeFile(join(cwd, "ids.jsonl"), JSON.stringify({ id: "t", vector: { terms: [5, 9], weights: [1, 2] } }) + "\n");
    const ids = await sparsedb(["ingest", "--connect", at, "-c", "fresh", "ids.jsonl"], { cwd, env });
    expect(ids.code, ids.stderr).toBe(0);
    expect((await (await db.collection("fresh")).get("t"))?.vector.terms).toEqual(Uint32Array.from([5, 9]));
    expect((await sparsedb(["ingest", "--connect", at, "--wal", "ids.jsonl"], { cwd, env })).stderr).toMatch(/--wal and --segment-docs choose how a folder is written/);
  });

  it("maps token vectors (jsonl token maps, {tokens}, anserini) through the server's vocabulary, as --dir does", async () => {
    const vocabulary = (await (await db.createCollection("tok")).vocabulary())!;
    const idOf = (t: string) => vocabulary.idOf(t)!;
    await writeFile(join(cwd, "tok.jsonl"), [
      JSON.stringify({ id: "bare", vector: { glacier: 1.5, coffee: 0.5 } }),
      JSON.stringify({ id: "wrapped", vector: { tokens: { glacier: 2, "##s": 1 } }, lang: "en" }),
    ].join("\n") + "\n");
    const r = await sparsedb(["ingest", "--connect", at, "-c", "tok", "tok.jsonl"], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    const c = await db.collection("tok");
    expect(Array.from((await c.get("bare"))!.vector.terms)).toEqual([idOf("glacier"), idOf("coffee")].sort((a, b) => a - b));
    const wrapped = (await c.get("wrapped"))!;
    expect(Array.from(wrapped.vector.terms)).toEqual([idOf("glacier"), idOf("##s")].sort((a, b) => a - b));
    expect(wrapped.metadata).toEqual({ lang: "en" });
    await writeFile(join(cwd, "v.tsv"), "q1\tcar car ##s\n");
    const ans = await sparsedb(["ingest", "--connect", at, "-c", "tok", "--format", "anserini", "v.tsv"], { cwd, env });
    expect(ans.code, ans.stderr).toBe(0);
    const q1 = (await c.get("q1"))!;
    expect(Array.from(q1.vector.terms)).toEqual([idOf("car"), idOf("##s")].sort((a, b) => a - b));
    // The same files into a folder (--dir) give the same vectors.
    expect((await sparsedb(["ingest", "--dir", "local", "-c", "tok", "tok.jsonl"], { cwd })).code).toBe(0);
    expect((await sparsedb(["ingest", "--dir", "local", "-c", "tok", "--format", "anserini", "v.tsv"], { cwd })).code).toBe(0);
    const local = await Database.open(join(cwd, "local"));
    try {
      const l = await local.collection("tok");
      for (const id of ["bare", "wrapped", "q1"]) expect((await l.get(id))!.vector.toTermMap(), id).toEqual((await c.get(id))!.vector.toTermMap());
    } finally {
      await local.close();
    }
  });

  it("names the line and the token of an unknown token: --on-error stop writes nothing, skip goes on", async () => {
    await writeFile(join(cwd, "unknown.jsonl"), [
      JSON.stringify({ id: "ok1", vector: { tokens: { glacier: 1 } } }),
      JSON.stringify({ id: "bad", vector: { tokens: { glacier: 1, "Not-A-Token": 2 } } }),
      JSON.stringify({ id: "ok2", vector: { coffee: 1 } }),
    ].join("\n") + "\n");
    const stop = await sparsedb(["ingest", "--connect", at, "-c", "unk", "unknown.jsonl"], { cwd, env });
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(/unknown\.jsonl:2: INVALID_VECTOR: vector: unknown token "Not-A-Token": the collection.s vocabulary \(30522 WordPiece tokens\) has no such token; see the tokens a text becomes with `sparsedb encode "TEXT"`/);
    expect(stop.stderr).toMatch(/nothing was written/);
    expect(db.hasCollection("unk")).toBe(false);
    const skip = await sparsedb(["ingest", "--connect", at, "-c", "unk", "--on-error", "skip", "unknown.jsonl"], { cwd, env });
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stderr).toMatch(/unknown\.jsonl:2: INVALID_VECTOR: vector: unknown token "Not-A-Token": the collection.s vocabulary \(30522 WordPiece tokens\) has no such token; see the tokens a text becomes with `sparsedb encode "TEXT"`.* \(skipped\)/);
    expect(skip.stdout).toMatch(/2 documents written, 1 bad lines skipped/);
    expect(await (await db.collection("unk")).getMany(["ok1", "bad", "ok2"]).then((d) => d.map((x) => x?.id ?? null))).toEqual(["ok1", null, "ok2"]);
    // A {tokens} form beside other vector fields is refused with its line.
    await writeFile(join(cwd, "mixed.jsonl"), JSON.stringify({ id: "m", vector: { tokens: { glacier: 1 }, coffee: 2 } }) + "\n");
    const mixed = await sparsedb(["ingest", "--connect", at, "-c", "unk", "mixed.jsonl"], { cwd, env });
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/mixed\.jsonl:1: "vector" \{"tokens": \{\.\.\.\}\} takes no other field \(got "coffee"\)/);
    await writeFile(join(cwd, "array.jsonl"), JSON.stringify({ id: "m", vector: { tokens: ["glacier"] } }) + "\n");
    expect((await sparsedb(["ingest", "--connect", at, "-c", "unk", "array.jsonl"], { cwd, env })).stderr).toMatch(/array\.jsonl:1: "vector\.tokens" must be a map \{token: weight\}, got an array/);
    await writeFile(join(cwd, "negative.jsonl"), JSON.stringify({ id: "m", vector: { tokens: { glacier: -1 } } }) + "\n");
    expect((await sparsedb(["ingest", "--connect", at, "-c", "unk", "negative.jsonl"], { cwd, env })).stderr).toMatch(/negative\.jsonl:1: INVALID_VECTOR: vector: document weights must be >= 0 \(token "glacier" has -1\)/);
  });

  it("reports a refused batch and keeps what was written before it", async () => {
    const lines = Array.from({ length: 6 }, (_, i) => docLine(i));
    lines.push(JSON.stringify({ id: "x".repeat(2000), text: "an id longer than any allowed" }));
    await writeFile(join(cwd, "docs.jsonl"), lines.join("\n") + "\n");
    const r = await sparsedb(["ingest", "--connect", at, "-c", "partial", "--batch", "3", "--in-flight", "1", "--on-error", "skip", "docs.jsonl"], { cwd, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ingest failed: INVALID_ARGUMENT: .*id/);
    expect(r.stderr).toMatch(/6 documents written/);
    expect(r.stderr).toMatch(/collection "partial" \(created by this run\) keeps the 6 documents written/);
    const client = await SparseClient.connect({ port: server.port, token: TOKEN });
    expect(await (await client.collection("partial")).count()).toBe(6);
    await client.close();
  });
});
