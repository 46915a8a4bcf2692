import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { COMMANDS } from "../../engine/cli/run-cli.js";
import { Database } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-cli-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const DATA = process.env.SPARSEDB_DATA ?? join(import.meta.dirname, "..", "..", "..", "shared", "data");
const TOY_DOCS = join(DATA, "toy", "msmarco-20-docs.splade-pp-ed.jsonl");
const TOY_PASSAGES = join(DATA, "toy", "msmarco-89-passages.tsv");
const BERT = join(DATA, "tokenizer", "bert-base-uncased.tokenizer.json");

const JSONL = [
  { id: "a", text: "glaciers carve deep valleys", lang: "en", year: 2001 },
  { id: "b", text: "coffee prices follow the weather in brazil", lang: "en", year: 2010 },
  { id: "c", text: "les glaciers fondent", lang: "fr", year: 2020 },
].map((d) => JSON.stringify(d)).join("\n") + "\n";

describe("sparsedb CLI", () => {
  it("prints help for every command, and uses exit code 2 for bad usage", async () => {
    for (const c of COMMANDS) {
      const r = await sparsedb([c.name, "--help"], { cwd });
      expect(r.code, c.name).toBe(0);
      expect(r.stdout).toMatch(/Usage: sparsedb/);
    }
    expect((await sparsedb(["--help"], { cwd })).code).toBe(0);
    expect((await sparsedb([], { cwd })).code).toBe(2);
    expect((await sparsedb(["frobnicate"], { cwd })).code).toBe(2);
    const bad = await sparsedb(["search", "--no-such-flag", "x"], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no-such-flag/);
    // A bad request value is the library's error (exit 1), found before the folder is opened.
    const badK = await sparsedb(["search", "--dir", "d", "-k", "zero", "x"], { cwd });
    expect(badK.code).toBe(1);
    expect(badK.stderr).toMatch(/INVALID_ARGUMENT: search: k must be a number, got a string/);
    expect((await sparsedb(["ingest", "x.tsv"], { cwd })).stderr).toMatch(/--format/);
    expect((await sparsedb(["model"], { cwd })).code).toBe(2);
    expect((await sparsedb(["bench"], { cwd })).code).toBe(2);
  });

  it("a missing database folder names the flags that choose one, for every command that reads a folder", async () => {
    for (const args of [["search", "x"], ["get", "a"], ["count"], ["scroll"], ["encode", "x"], ["collections", "list"], ["export", "--format", "jsonl"]]) {
      const r = await sparsedb(args, { cwd });
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain(`NOT_FOUND: database folder ${join(cwd, "sparsedb-data")} does not exist: pass --dir DIR (default $SPARSEDB_DIR, else ./sparsedb-data) or --connect HOST:PORT, or create a database with \`sparsedb ingest\``);
    }
    expect((await sparsedb(["count"], { cwd, env: { SPARSEDB_DIR: "elsewhere" } })).stderr).toContain(`database folder ${join(cwd, "elsewhere")} does not exist`);
  });

  it("ingests JSON lines, searches with filters and explanations, gets, deletes and reports stats", async () => {
    await writeFile(join(cwd, "docs.jsonl"), JSONL);
    const ing = await sparsedb(["ingest", "--dir", "db", "-c", "notes", "docs.jsonl"], { cwd });
    expect(ing.code, ing.stderr).toBe(0);
    expect(ing.stdout).toMatch(/3 documents written; collection now holds 3/);
    expect(ing.stderr).toMatch(/created collection "notes" with encoder: lexical BM25/);

    const s = await sparsedb(["search", "--dir", "db", "-c", "notes", "--explain", "-k", "2", "glaciers"], { cwd });
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^ {2}1\. (a|c) /m);
    expect(s.stdout).toMatch(/glaciers \d+\.\d+ \(/);
    const f = await sparsedb(["search", "--dir", "db", "-c", "notes", "--json", "--filter", '{"lang": "fr"}', "glaciers"], { cwd });
    expect(JSON.parse(f.stdout).map((h: { id: string }) => h.id)).toEqual(["c"]);
    expect((await sparsedb(["search", "--dir", "db", "-c", "notes", "--filter", "{bad json", "x"], { cwd })).code).toBe(2);
    const badFilter = await sparsedb(["search", "--dir", "db", "-c", "notes", "--filter", '{"lang": {"like": "f"}}', "x"], { cwd });
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toMatch(/INVALID_ARGUMENT: filter\.lang\.like/);

    const g = await sparsedb(["get", "--dir", "db", "-c", "notes", "b"], { cwd });
    expect(JSON.parse(g.stdout)).toMatchObject({ id: "b", metadata: { lang: "en", year: 2010 } });
    expect((await sparsedb(["get", "--dir", "db", "-c", "notes", "zzz"], { cwd })).code).toBe(1);
    expect((await sparsedb(["delete", "--dir", "db", "-c", "notes", "b", "zzz"], { cwd })).stdout).toMatch(/deleted 1 of 2/);
    const st = await sparsedb(["stats", "--dir", "db"], { cwd });
    expect(JSON.parse(st.stdout).collections.notes.docs).toBe(2);
    // A missing database is a failure (1), not bad usage.
    expect((await sparsedb(["search", "--dir", "nowhere", "x"], { cwd })).code).toBe(1);
  });

  it("creates a BM25 collection with k1, b, the token limit and the analyzer from flags, and rejects bad values", async () => {
    await writeFile(join(cwd, "docs.jsonl"), JSONL);
    const flags = ["--bm25-k1", "1.2", "--bm25-b", "0.75", "--max-tokens", "128", "--stopwords", "english", "--keep-punctuation"];
    const ing = await sparsedb(["ingest", "--dir", "db", "-c", "tuned", ...flags, "docs.jsonl"], { cwd });
    expect(ing.code, ing.stderr).toBe(0);
    expect(ing.stderr).toMatch(/k1=1.2 b=0.75, punctuation kept, stopwords english/);
    const db = await Database.open(join(cwd, "db"));
    expect(db.listCollections()[0]!.config.encoder).toMatchObject({ kind: "bm25", k1: 1.2, b: 0.75, maxTokens: 128, stopwords: "english", dropPunctuation: false });
    await db.close();
    // Ingesting the same file again replaces the documents: the statistics still count 3.
    expect((await sparsedb(["ingest", "--dir", "db", "-c", "tuned", "docs.jsonl"], { cwd })).code).toBe(0);
    const st = JSON.parse((await sparsedb(["stats", "--dir", "db"], { cwd })).stdout).collections.tuned;
    expect(st.docs).toBe(3);
    expect(st.corpus.docs).toBe(3);
    // "the" is a stopword now: it matches nothing.
    const s = await sparsedb(["search", "--dir", "db", "-c", "tuned", "--json", "the"], { cwd });
    expect(JSON.parse(s.stdout)).toEqual([]);
    const badB = await sparsedb(["ingest", "--dir", "db", "-c", "other", "--bm25-b", "2", "docs.jsonl"], { cwd });
    expect(badB.code).toBe(1);
    expect(badB.stderr).toMatch(/BM25 b is 2; it must be a number in 0\.\.1/);
    expect((await sparsedb(["ingest", "--dir", "db", "-c", "other", "--stopwords", "klingon", "docs.jsonl"], { cwd })).stderr).toMatch(/stopwords is "klingon"; use "none" or "english"/);
    expect((await sparsedb(["ingest", "--dir", "db", "-c", "other", "--bm25-k1", "lots", "docs.jsonl"], { cwd })).code).toBe(2);
    expect((await sparsedb(["ingest", "--dir", "db", "-c", "other", "--encoder", "inference-free", "--idf", "x.json", "--stopwords", "english", "docs.jsonl"], { cwd })).stderr).toMatch(/are for --encoder bm25/);
  });

  it("searches, gets, deletes and reports stats through a running server with --connect", async () => {
    await writeFile(join(cwd, "docs.jsonl"), JSONL);
    expect((await sparsedb(["ingest", "--dir", "db", "docs.jsonl"], { cwd })).code).toBe(0);
    const db = await Database.open(join(cwd, "db"));
    const server = await SparseServer.listen(db, { port: 0, token: "cli-test-token" });
    try {
      const at = `127.0.0.1:${server.port}`;
      const s = await sparsedb(["search", "--connect", at, "--json", "coffee brazil"], { cwd, env: { SPARSEDB_TOKEN: "cli-test-token" } });
      expect(s.code, s.stderr).toBe(0);
      expect(JSON.parse(s.stdout)[0].id).toBe("b");
      const denied = await sparsedb(["search", "--connect", at, "coffee"], { cwd });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/UNAUTHORIZED/);
      const g = await sparsedb(["get", "--connect", at, "--token", "cli-test-token", "a"], { cwd });
      expect(JSON.parse(g.stdout).metadata).toEqual({ lang: "en", year: 2001 });
      const st = await sparsedb(["stats", "--connect", at, "--token", "cli-test-token"], { cwd });
      expect(JSON.parse(st.stdout).collections.default.docs).toBe(3);
      expect((await sparsedb(["delete", "--connect", at, "--token", "cli-test-token", "a"], { cwd })).stdout).toMatch(/deleted 1 of 1/);
      expect((await sparsedb(["search", "--connect", at, "--dir", "db", "x"], { cwd })).code).toBe(2);
    } finally {
      await server.close();
      await db.close();
    }
  });

  it("with --on-error stop, a bad line stops the run and nothing is written", async () => {
    await writeFile(join(cwd, "bad.jsonl"), JSONL + '{"id": "d", "text": 5}\n{"id": "e", "text": "fine"}\n');
    const r = await sparsedb(["ingest", "--dir", "db", "bad.jsonl"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl:4: "text" must be a string/);
    expect(r.stderr).toMatch(/nothing was written/);
    // The collection this run created is gone again, not left behind empty.
    expect(r.stderr).toMatch(/removed collection "default", which this run created/);
    const db = await Database.open(join(cwd, "db"));
    expect(db.hasCollection("default")).toBe(false);
    await db.close();
  });

  it("with --on-error skip, bad lines are reported by number and skipped", async () => {
    await writeFile(join(cwd, "bad.jsonl"), "not json\n" + JSONL + '{"text": "no id"}\n\n{"id": "e", "text": "fine"}\n');
    const r = await sparsedb(["ingest", "--dir", "db", "--on-error", "skip", "--batch", "2", "bad.jsonl"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/bad\.jsonl:1: not valid JSON/);
    expect(r.stderr).toMatch(/bad\.jsonl:5: "id" must be/);
    expect(r.stdout).toMatch(/4 documents written, 2 bad lines skipped/);
    expect(r.stderr).toMatch(/ingest default: 4 docs/); // plain progress line when not a terminal
  });

  it("stops cleanly when interrupted, leaving whole batches only", async () => {
    // Through the log (--wal), in batches of 100: a file long enough that 30 ms never covers it.
    const lines = Array.from({ length: 20000 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `line ${i} of a long file` })).join("\n");
    await writeFile(join(cwd, "long.jsonl"), lines + "\n");
    const r = await sparsedb(["ingest", "--dir", "db", "--wal", "--batch", "100", "--on-error", "skip", "long.jsonl"], {
      cwd,
      interrupted: new Promise((resolve) => setTimeout(() => resolve("SIGINT"), 30)),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ingest interrupted: \d+ documents written/);
    const db = await Database.open(join(cwd, "db"));
    // Interrupted before the first batch was acknowledged, the run removes the collection it made.
    const n = db.hasCollection("default") ? await (await db.collection("default")).count() : 0;
    await db.close();
    if (n === 0) expect(r.stderr).toMatch(/removed collection "default"/);
    expect(n % 100).toBe(0);
    expect(n).toBeLessThan(20000);
  });

  it("draws a progress bar on a terminal and reads gzip", async () => {
    await writeFile(join(cwd, "docs.jsonl.gz"), gzipSync(JSONL));
    const r = await sparsedb(["ingest", "--dir", "db", "docs.jsonl.gz"], { cwd, tty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\r.*\[=+\] 100\.0% 3 docs .* docs\/s ETA 0:00/);
  });

  it("ingests MS MARCO collection TSV", async () => {
    await writeFile(join(cwd, "c.tsv"), "0\tThe presence of communication amid scientific minds\n1\tThe Manhattan Project and its atomic bomb\n");
    const r = await sparsedb(["ingest", "--dir", "db", "--format", "msmarco", "c.tsv"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const s = await sparsedb(["search", "--dir", "db", "--json", "manhattan project"], { cwd });
    expect(JSON.parse(s.stdout)[0].id).toBe("1");
  });

  it.skipIf(!existsSync(BERT))("ingests Anserini vector TSV into a collection in BERT's term space", async () => {
    await writeFile(join(cwd, "v.tsv"), "q1\tbrother brother brother sister\nq2\tcar car\n");
    const r = await sparsedb(["ingest", "--dir", "db", "--format", "anserini", "--scale", "10", "--tokenizer", BERT, "v.tsv"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const g = JSON.parse((await sparsedb(["get", "--dir", "db", "q1"], { cwd })).stdout);
    expect(g.vector.weights.map((w: number) => Math.round(w * 10) / 10).sort()).toEqual([0.1, 0.3]);
  }, 20_000);

  it.skipIf(!existsSync(TOY_DOCS) || !existsSync(BERT))("ingests the real SPLADE toy vectors (token maps) and searches them", async () => {
    const r = await sparsedb(["ingest", "--dir", "db", "--tokenizer", BERT, "--text-field", "content", TOY_DOCS], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/20 documents written/);
    const s = await sparsedb(["search", "--dir", "db", "--explain", "manhattan project"], { cwd });
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/manhattan/);
  }, 20_000);

  it.skipIf(!existsSync(TOY_PASSAGES))("ingests the MS MARCO toy passages", async () => {
    const r = await sparsedb(["ingest", "--dir", "db", "--format", "msmarco", TOY_PASSAGES], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/89 documents written/);
  }, 20_000);

  it("runs the demo: ingest, searches with explanations, server and client", async () => {
    const r = await sparsedb(["demo", "--dir", "demo-db"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/No SPLADE model is configured/);
    expect(r.stdout).toMatch(/Encoder: lexical BM25/);
    expect(r.stdout).toMatch(/52 documents in/);
    expect(r.stdout).toMatch(/1\. cook-2 /); // sourdough answers "bread ... sour"
    expect(r.stdout).toMatch(/1\. geo-2 /); // the filtered query
    expect(r.stdout).toMatch(/over TCP.*\n.*1\. comp-3 /);
    // Running it again starts afresh.
    expect((await sparsedb(["demo", "--dir", "demo-db"], { cwd })).code).toBe(0);
  }, 30_000);
});
