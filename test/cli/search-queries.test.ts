import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectQueryFormat } from "../../engine/cli/query-file.js";
import { Database } from "../../engine/database.js";
import { evaluateRun } from "../../engine/eval/evaluate.js";
import { recallAtK, trecOrder } from "../../engine/eval/measures.js";
import { loadQrels } from "../../engine/eval/qrels.js";
import { loadTrecRun } from "../../engine/eval/trec-run.js";
import { readLines } from "../../engine/input/line-reader.js";
import { SparseServer } from "../../engine/server/server.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
let ids: Record<string, number>;
const DOCS = [
  { id: "a", text: "glaciers carve deep valleys" },
  { id: "b", text: "coffee prices follow the weather in brazil" },
  { id: "c", text: "les glaciers fondent" },
  { id: "d", text: "brazil grows coffee on hills over valleys" },
];

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-queries-"));
  await writeFile(join(cwd, "docs.jsonl"), DOCS.map((d) => JSON.stringify(d)).join("\n") + "\n");
  const r = await sparsedb(["ingest", "--dir", "db", "docs.jsonl"], { cwd });
  expect(r.code, r.stderr).toBe(0);
  const db = await Database.open(join(cwd, "db"));
  const vocabulary = (await db.collection("default")).encoder!.vocabulary;
  ids = Object.fromEntries(["coffee", "brazil", "glaciers", "valleys"].map((t) => [t, vocabulary.idOf(t)!]));
  await db.close();
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const search = (args: string[]) => sparsedb(["search", "--dir", "db", ...args], { cwd });

/** The run file as [qid, docid, rank] rows, after checking every line has the six TREC columns. */
async function runRows(path: string): Promise<[string, string, number][]> {
  const lines = (await readFile(join(cwd, path), "utf8")).trim().split("\n");
  return lines.map((l) => {
    const f = l.split(" ");
    expect(f).toHaveLength(6);
    expect(f[1]).toBe("Q0");
    expect(f[4]).toMatch(/^\d+\.\d{6}$/);
    return [f[0]!, f[2]!, Number(f[3])];
  });
}

describe("sparsedb search --queries", () => {
  it("runs every format, guessing it from the name and the first line, into a TREC run", async () => {
    const files: [string, string, string][] = [
      ["q.txt", "glaciers valleys\n\ncoffee brazil\n", "text"],
      ["q.tsv", "q1\tglaciers valleys\nq2\tcoffee brazil\n", "msmarco"],
      ["v.tsv", "q1\tglaciers glaciers valleys\nq2\tcoffee coffee brazil\n", "anserini"],
      ["q.jsonl", `{"id": "q1", "text": "glaciers valleys"}\n{"id": 2, "vector": {"terms": [${ids.brazil}, ${ids.coffee}], "weights": [1, 2]}}\n`, "jsonl"],
      ["tok.queries", `\uFEFF{"id": "q1", "vector": {"glaciers": 2, "valleys": 1}}\n{"id": "q2", "vector": {"${ids.coffee}": 2, "${ids.brazil}": 1}}\n`, "jsonl"],
    ];
    for (const [name, text, format] of files) {
      await writeFile(join(cwd, name), text);
      const r = await search(["--queries", name, "--run", `${name}.run`, "-k", "3", "--tag", "t1"]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toContain(`${name}: reading ${format} queries`);
      expect(r.stderr).toMatch(/wrote 2 queries' hits to /);
      const rows = await runRows(`${name}.run`);
      const first = (qid: string) => rows.filter((x) => x[0] === qid).map((x) => x[1]);
      const [q1, q2] = format === "text" ? ["1", "3"] : format === "jsonl" && name === "q.jsonl" ? ["q1", "2"] : ["q1", "q2"];
      expect(first(q1)[0], name).toBe("a"); // both query words
      expect(["b", "d"]).toContain(first(q2)[0]);
      expect(first(q2)).toHaveLength(2); // only b and d hold coffee or brazil
      expect(rows.filter((x) => x[0] === q1).map((x) => x[2])).toEqual([1, 2, 3].slice(0, first(q1).length));
    }
    // --format overrides the guess: the anserini file read as text searches the token words.
    const forced = await search(["--queries", "v.tsv", "--format", "msmarco"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).not.toMatch(/reading/);
    // Without --run and --qrels the run goes to stdout; a .gz file works.
    await writeFile(join(cwd, "q.tsv.gz"), gzipSync("q1\tglaciers valleys\n"));
    const out = await search(["--queries", "q.tsv.gz", "-k", "1"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^q1 Q0 a 1 \d+\.\d{6} sparsedb\n$/);
  });

  it("prints trec_eval-style MAP, MRR@10, nDCG@10 and recall@k that agree with the written run", async () => {
    await writeFile(join(cwd, "eval.tsv"), "q1\tglaciers valleys\nq2\tcoffee brazil\nq3\tglaciers\nq4\tnothing here zzzz\n");
    // q1: c relevant (a ranks above it); q2: d relevant, b judged 0; q3: c and a; q4 judged, retrieves nothing; q9 not asked.
    await writeFile(join(cwd, "qrels.txt"), "q1 0 c 1\nq2 0 d 2\nq2 0 b 0\nq3 0 c 1\nq3 0 a 1\nq4 0 a 1\nq9 0 a 1\n");
    const r = await search(["--queries", "eval.tsv", "--qrels", "qrels.txt", "--run", "eval.run", "-k", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const figures = Object.fromEntries(r.stdout.trim().split("\n").filter((l) => /\tall|all\t/.test(l)).map((l) => {
      const [name, , value] = l.split(/\s+/);
      return [name, Number(value)];
    }));
    const run = await loadTrecRun(join(cwd, "eval.run"));
    expect(run.has("q4")).toBe(false); // no hits, no lines; it still counts as a judged query with zeros
    const qrels = await loadQrels(join(cwd, "qrels.txt"));
    const withEmpty = new Map([...run, ["q4", []]]);
    const e = evaluateRun(withEmpty, qrels);
    expect(figures.num_q).toBe(4);
    expect(e.queries).toBe(4);
    expect(figures.map).toBeCloseTo(e.mean["MAP@1000"], 4);
    expect(figures["mrr@10"]).toBeCloseTo(e.mean["MRR@10"], 4);
    expect(figures.ndcg_cut_10).toBeCloseTo(e.mean["nDCG@10"], 4);
    let recall = 0;
    for (const q of ["q1", "q2", "q3", "q4"]) recall += recallAtK(trecOrder(withEmpty.get(q)!).map((d) => d.docId), qrels.get(q)!, 2);
    expect(figures.recall_2).toBeCloseTo(recall / 4, 4);
    // By hand: q1 ranks a then c (RR 1/2), q3 retrieves a and c (RR 1), q4 nothing (0); q2 RR 1 or 1/2.
    const q2rr = trecOrder(run.get("q2")!)[0]!.docId === "d" ? 1 : 0.5;
    expect(figures["mrr@10"]).toBeCloseTo((0.5 + q2rr + 1 + 0) / 4, 4);
    expect(figures.recall_2).toBeCloseTo((1 + 1 + 1 + 0) / 4, 4);
    expect(r.stdout).toMatch(/k = 2 < 10/);
  });

  it("reports bad query files by file and line, and bad flags as usage errors", async () => {
    const bad = async (text: string, message: RegExp, extra: string[] = []) => {
      await writeFile(join(cwd, "bad.q"), text);
      const r = await search(["--queries", "bad.q", ...extra]);
      expect(r.code, text).toBe(1);
      expect(r.stderr).toMatch(message);
    };
    await bad("q1\tcoffee\nno tab here\n", /bad\.q:2: expected `qid<TAB>\.\.\.`/, ["--run", "bad.run"]);
    // A failed run leaves no run file that looks complete.
    expect(existsSync(join(cwd, "bad.run")) || existsSync(join(cwd, "bad.run.partial"))).toBe(false);
    await bad("q1\tcoffee\nq1\tbrazil\n", /bad\.q:2: query id q1 repeats the one on line 1/);
    await bad('{"id": "q1", "text": "x", "vector": {"terms": [1], "weights": [1]}}\n', /bad\.q:1: give exactly one of "text" and "vector"/);
    await bad('{"id": "q1", "vector": {"notaword-zz": 1}}\n', /bad\.q:1: .*unknown token/);
    await bad('{"id": "q 1", "text": "x"}\n', /holds whitespace/);
    await bad("q1\t\n", /query q1 has no text/, ["--format", "msmarco"]);
    await bad("\n\n", /bad\.q holds no queries/);
    await writeFile(join(cwd, "qrels.bad"), "q1 0 b\n");
    await bad("q1\tcoffee\n", /qrels\.bad:1: expected 4 fields/, ["--qrels", "qrels.bad"]);
    await bad("q1\tcoffee\n", /qrels\.missing does not exist/, ["--qrels", "qrels.missing"]);
    await writeFile(join(cwd, "ok.tsv"), "q1\tcoffee\n");
    const usage = async (args: string[], message: RegExp) => {
      const r = await search(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    };
    await usage(["--queries", "ok.tsv", "--format", "csv"], /--format must be one of text, msmarco, anserini, jsonl/);
    await usage(["--queries", "ok.tsv", "--explain"], /--explain and --json are for one query/);
    await usage(["--queries", "ok.tsv", "--include-text"], /--queries writes a TREC run \(query, document id, rank, score\), which holds no texts or metadata/);
    await usage(["--queries", "ok.tsv", "--fields", "lang"], /--include-text, --fields and --no-metadata choose what one query's hits show/);
    await usage(["--queries", "ok.tsv", "coffee"], /give no query text or --vector with it/);
    await usage(["--run", "x.run", "coffee"], /--run goes with --queries FILE/);
    await usage(["--queries", "ok.tsv", "--tag", "two words"], /--tag must be one word/);
    expect((await search(["--queries", "missing.tsv"])).stderr).toMatch(/NOT_FOUND: cannot read .*missing\.tsv: no such file/);
  });

  it("guesses formats as documented", () => {
    expect(detectQueryFormat("q.jsonl.gz", "x").format).toBe("jsonl");
    expect(detectQueryFormat("q", '{"id": 1}').format).toBe("jsonl");
    expect(detectQueryFormat("q", "what is a glacier").format).toBe("text");
    expect(detectQueryFormat("q", "1048585\twhat is paula deen's brother").format).toBe("msmarco");
    expect(detectQueryFormat("q", "1048585\tpaula paula paula deen brother").format).toBe("anserini");
    expect(detectQueryFormat("q", "7\tcat ##s").format).toBe("anserini");
    expect(detectQueryFormat("q", undefined).format).toBe("text");
  });

  it("runs a query file against a server with --connect", async () => {
    await writeFile(join(cwd, "remote.tsv"), "q1\tglaciers valleys\nq2\tcoffee brazil\nq3\tbrazil\nq4\tvalleys\nq5\tglaciers\n");
    await writeFile(join(cwd, "remote-v.tsv"), "q1\tcoffee coffee\n");
    const db = await Database.open(join(cwd, "db"));
    const server = await SparseServer.listen(db, { host: "127.0.0.1", port: 0, searchThreads: 0 });
    try {
      const r = await sparsedb(["search", "--connect", String(server.port), "--queries", "remote.tsv", "--run", "remote.run"], { cwd });
      expect(r.code, r.stderr).toBe(0);
      const local = await search(["--queries", "remote.tsv"]);
      expect(local.code).toBe(1); // the server holds the folder
      expect(local.stderr).toMatch(/pass --connect HOST:PORT instead of --dir/);
      expect((await runRows("remote.run")).map((x) => x[0])).toEqual(expect.arrayContaining(["q1", "q2", "q3", "q4", "q5"]));
      // Token vectors go through the server's vocabulary of the collection, fetched once.
      const v = await sparsedb(["search", "--connect", String(server.port), "--queries", "remote-v.tsv"], { cwd });
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout.trim().split("\n").map((l) => l.split(" ")[2])).toEqual(["b", "d"]);
      await writeFile(join(cwd, "remote-t.jsonl"), [
        JSON.stringify({ id: "t1", vector: { tokens: { coffee: 1, brazil: 0.5 } } }),
        JSON.stringify({ id: "t2", vector: { glaciers: 1 } }),
      ].join("\n") + "\n");
      const t = await sparsedb(["search", "--connect", String(server.port), "--queries", "remote-t.jsonl"], { cwd });
      expect(t.code, t.stderr).toBe(0);
      const pairs = t.stdout.trim().split("\n").map((l) => l.split(" ")).map((f) => `${f[0]} ${f[2]}`);
      expect(pairs.sort()).toEqual(["t1 b", "t1 d", "t2 a", "t2 c"]);
      await writeFile(join(cwd, "remote-bad.jsonl"), JSON.stringify({ id: "t1", vector: { tokens: { coffee: 1 } } }) + "\n" + JSON.stringify({ id: "t2", vector: { tokens: { "Zz-unknown": 1 } } }) + "\n");
      const bad = await sparsedb(["search", "--connect", String(server.port), "--queries", "remote-bad.jsonl"], { cwd });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/search: INVALID_VECTOR: remote-bad\.jsonl:2: vector: unknown token "Zz-unknown"/);
    } finally {
      await server.close();
      await db.close();
    }
    const hits = await runRows("remote.run");
    const direct = await search(["--queries", "remote.tsv"]);
    expect(direct.stdout.trim().split("\n").map((l) => l.split(" ")).map((f) => [f[0], f[2], Number(f[3])])).toEqual(hits);
  });
});

describe("sparsedb search --queries in searchBatch calls", () => {
  it("gives the same run in batches of any size, and names a refused query by its line through a server's limits", async () => {
    await writeFile(join(cwd, "batch.tsv"), "q1\tglaciers valleys\nq2\tcoffee brazil\nq3\tbrazil\nq4\tvalleys\nq5\tglaciers\n");
    const one = await search(["--queries", "batch.tsv", "--batch", "1"]);
    expect(one.code, one.stderr).toBe(0);
    for (const b of ["2", "16"]) expect((await search(["--queries", "batch.tsv", "--batch", b])).stdout).toBe(one.stdout);
    expect((await search(["--queries", "batch.tsv", "--batch", "0"])).stderr).toMatch(/--batch must be an integer in 1\.\.1000/);
    expect((await search(["--batch", "2", "coffee"])).stderr).toMatch(/--batch goes with --queries FILE/);

    const db = await Database.open(join(cwd, "db"));
    const server = await SparseServer.listen(db, { host: "127.0.0.1", port: 0, searchThreads: 0, limits: { maxVectorTerms: 2, maxBatchQueries: 3 } });
    try {
      const at = ["--connect", String(server.port)];
      const ok = await sparsedb(["search", ...at, "--queries", "batch.tsv", "--batch", "3"], { cwd });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe(one.stdout);
      const big = await sparsedb(["search", ...at, "--queries", "batch.tsv", "--batch", "4"], { cwd });
      expect(big.code).toBe(1);
      expect(big.stderr).toMatch(/LIMIT_EXCEEDED: searchBatch: 4 requests; this server accepts at most 3 per call: pass a smaller --batch \(now 4\)/);
      await writeFile(join(cwd, "long.jsonl"), [
        JSON.stringify({ id: "a", vector: { tokens: { coffee: 1 } } }),
        JSON.stringify({ id: "b", vector: { tokens: { coffee: 1, brazil: 1, glaciers: 1 } } }),
      ].join("\n") + "\n");
      const long = await sparsedb(["search", ...at, "--queries", "long.jsonl"], { cwd });
      expect(long.code).toBe(1);
      expect(long.stderr).toMatch(/LIMIT_EXCEEDED: long\.jsonl:2: query b: search: query: the vector has 3 non-zero terms; this server accepts at most 2/);
    } finally {
      await server.close();
      await db.close();
    }
  });
});

const DATA = process.env.SPARSEDB_DATA ?? join(import.meta.dirname, "..", "..", "..", "shared", "data");
const TOY_DOCS = join(DATA, "toy", "msmarco-20-docs.splade-pp-ed.jsonl");
const TOY_QUERIES = join(DATA, "toy", "msmarco-5-queries.splade-pp-ed.jsonl");
const DEV_VECTORS = join(DATA, "splade", "msmarco-passage-dev-subset.splade-pp-ed.tsv.gz");
const BERT = join(DATA, "tokenizer", "bert-base-uncased.tokenizer.json");

describe.skipIf(![TOY_DOCS, TOY_QUERIES, DEV_VECTORS, BERT].every(existsSync))("sparsedb search --queries on real SPLADE vectors", () => {
  it("runs real query vectors (JSON token maps and Anserini TSV) and ranks as the library does", async () => {
    const r = await sparsedb(["ingest", "--dir", "real", "-c", "toy", "--tokenizer", BERT, "--text-field", "content", TOY_DOCS], { cwd });
    expect(r.code, r.stderr).toBe(0);
    // The first 12 dev-subset query vectors (Anserini TSV at scale 1000), in a small file of their own.
    const dev: string[] = [];
    for await (const l of readLines(DEV_VECTORS)) if (dev.push(l.text) >= 12) break;
    await writeFile(join(cwd, "dev12.tsv"), dev.join("\n") + "\n");
    const toy = (await readFile(TOY_QUERIES, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { id: number; vector: Record<string, number> });
    const anserini = (line: string): [string, Record<string, number>] => {
      const [id, tokens] = line.split("\t") as [string, string];
      const v: Record<string, number> = {};
      for (const t of tokens.split(" ")) v[t] = (v[t] ?? 0) + 1;
      for (const t of Object.keys(v)) v[t]! /= 1000; // repeats over the scale, as Anserini defines it
      return [id, v];
    };
    const cases: [string, string, string[], [string, Record<string, number>][]][] = [
      [TOY_QUERIES, "jsonl", [], toy.map((q) => [String(q.id), q.vector])],
      ["dev12.tsv", "anserini", ["--scale", "1000"], dev.map(anserini)],
    ];
    for (const [file, format, extra, queries] of cases) {
      const q = await sparsedb(["search", "--dir", "real", "-c", "toy", "-k", "5", "--queries", file, "--run", "real.run", ...extra], { cwd });
      expect(q.code, q.stderr).toBe(0);
      expect(q.stderr).toContain(`reading ${format} queries`);
      const rows = await runRows("real.run");
      // The same vectors through the library give the same rankings.
      const db = await Database.open(join(cwd, "real"));
      const c = await db.collection("toy");
      for (const [id, vector] of queries) {
        const hits = await c.search({ vector: SparseVector.fromTokenMap(vector, c.encoder!.vocabulary), k: 5 });
        expect(rows.filter((x) => x[0] === id).map((x) => x[1]), `${format} ${id}`).toEqual(hits.map((h) => h.id));
      }
      await db.close();
    }
  }, 30_000);
});
