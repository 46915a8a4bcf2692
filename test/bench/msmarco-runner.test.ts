import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ALGORITHMS } from "../../engine/search/search.js";
import { runMsmarcoBenchmark } from "../../bench/msmarco/main.js";
import { parseMsmarcoArgs } from "../../bench/msmarco/options.js";
import { evaluateRun } from "../../engine/eval/evaluate.js";
import { loadQrels } from "../../engine/eval/qrels.js";
import { readCollection } from "../../bench/readers/msmarco.js";
import { loadTrecRun } from "../../engine/eval/trec-run.js";
import { hasSharedData, repositoryRoot, sharedDataPath } from "../../bench/readers/shared-data.js";
import { generateModelFolder } from "../../encoder/model-gen/generate-model.js";

const TOY_DOCS = "toy/msmarco-20-docs.splade-pp-ed.jsonl";
const TOY_QUERIES = "toy/msmarco-5-queries.splade-pp-ed.jsonl";
const TOY_PASSAGES = "toy/msmarco-89-passages.tsv";
const TOKENIZER = "tokenizer/bert-base-uncased.tokenizer.json";
const haveToy = hasSharedData(TOY_DOCS) && hasSharedData(TOY_QUERIES) && hasSharedData(TOKENIZER);

const dir = mkdtempSync(join(tmpdir(), "sparsedb-bench-msmarco-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/*
 * Hand-made judgements over the 20 toy passages (the real dev qrels judge none of them). With the
 * real SPLADE++ vectors the rankings start: 1048585 -> 11, 7, ...; 2 -> 17, 19, ...;
 * 524332 -> 13, 1, 10, ...; 524447 is left unjudged, so it is not run.
 *   1048585 {11: 1}           RR 1,   nDCG 1,                                   R 1
 *   2       {19: 1}           RR 1/2, nDCG 1/log2(3) = 0.630930,                R 1
 *   524332  {10: 2, 13: 1}    RR 1,   nDCG (1 + 2/2) / (2 + 1/log2 3) = 0.760188, R 1
 *   1048642 {5: 0}            judged, nothing relevant: all 0
 * Means over 4 queries: MRR@10 0.625, nDCG@10 0.597779, R@100 = R@1000 = 0.75.
 */
const TOY_QRELS = ["1048585 0 11 1", "2 0 19 1", "524332 0 10 2", "524332 0 13 1", "1048642 0 5 0"].join("\n") + "\n";

describe.skipIf(!haveToy)("bench msmarco end to end on the toy data (real SPLADE++ vectors)", () => {
  it("ranks passage 11 first for 1048585 and scores every algorithm and mode as computed by hand", async () => {
    const qrelsPath = join(dir, "toy-qrels.txt");
    writeFileSync(qrelsPath, TOY_QRELS);
    const out = join(dir, "toy-out");
    const options = parseMsmarcoArgs([
      "--qrels", qrelsPath,
      "--doc-vectors", sharedDataPath(TOY_DOCS),
      "--query-vectors", sharedDataPath(TOY_QUERIES),
      "--warmup", "2",
      "--out", out,
      "--name", "toy",
      "--quiet",
    ]);
    const results = await runMsmarcoBenchmark(options);

    expect(results.dataset).toMatchObject({ name: "toy", queries: 4, docs: 20, collectionDocs: 20, subset: false, judgedDocs: 5, synthetic: false });
    expect(results.dataset.avgDocNnz).toBeCloseTo(145, 0);
    expect(results.index.segments).toBe(1);
    expect(results.index.postings).toBe(2900);
    expect(results.runs.length).toBe(ALGORITHMS.length * 2);
    for (const run of results.runs) {
      expect(run.metrics["MRR@10"]).toBeCloseTo(0.625, 9);
      expect(run.metrics["nDCG@10"]).toBeCloseTo(0.5977793218, 8);
      expect(run.metrics["R@100"]).toBeCloseTo(0.75, 9);
      expect(run.metrics["R@1000"]).toBeCloseTo(0.75, 9);
      expect(run.latency.meanMs).toBeGreaterThan(0);
      expect(run.latency.p99Ms).toBeGreaterThanOrEqual(run.latency.p50Ms);
      expect(run.qps).toBeGreaterThan(0);

      // The run file holds what was scored: trec_eval's rules over it give the same figures.
      const file = await loadTrecRun(join(out, run.runFile));
      expect(file.get("1048585")![0]!.docId).toBe("11");
      expect(file.has("524447")).toBe(false);
      const again = evaluateRun(file, await loadQrels(qrelsPath), { complete: true });
      expect(again.mean["nDCG@10"]).toBeCloseTo(run.metrics["nDCG@10"], 12);
      expect(again.mean["MRR@10"]).toBeCloseTo(run.metrics["MRR@10"], 12);
    }

    const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(Object.keys(json.runs[0]).sort()).toEqual(["algorithm", "latency", "metrics", "mode", "qps", "runFile"]);
    expect(Object.keys(json.runs[0].metrics)).toEqual(["MRR@10", "nDCG@10", "R@100", "R@1000", "MAP@1000"]);
    expect(Object.keys(json.runs[0].latency)).toEqual(["meanMs", "p50Ms", "p99Ms"]);
    const md = readFileSync(join(out, "results.md"), "utf8");
    expect(md).toContain("| algorithm  | mode  | MRR@10 | nDCG@10 |");
    expect(md).toContain("| maxscore   | exact | 0.6250 |  0.5978 |");
    const svg = readFileSync(join(out, "plot.svg"), "utf8");
    expect(svg.match(/<g class="series"/g)!.length).toBe(ALGORITHMS.length);
    expect(existsSync(join(out, "index"))).toBe(false);
    expect(readdirSync(out).filter((f) => f.endsWith(".trec")).length).toBe(ALGORITHMS.length * 2);
  });

  it("takes a seeded subset that keeps the judged passages and says it is not comparable", async () => {
    const qrelsPath = join(dir, "toy-qrels-2.txt");
    writeFileSync(qrelsPath, TOY_QRELS);
    const out = join(dir, "toy-subset");
    const run = (seed: string) =>
      runMsmarcoBenchmark(
        parseMsmarcoArgs([
          "--qrels", qrelsPath, "--doc-vectors", sharedDataPath(TOY_DOCS), "--query-vectors", sharedDataPath(TOY_QUERIES),
          "--docs", "8", "--seed", seed, "--algorithms", "maxscore", "--modes", "exact", "--k", "10", "--warmup", "0",
          "--out", out, "--quiet",
        ]),
      );
    const results = await run("42");
    expect(results.dataset).toMatchObject({ docs: 8, collectionDocs: 20, subset: true, subsetSeed: 42, judgedDocs: 5 });
    expect(results.dataset.notes.join(" ")).toMatch(/not comparable with full-collection/);
    expect(readFileSync(join(out, "results.md"), "utf8")).toMatch(/not comparable with full-collection/);
    // The judged passages are all present, so the hand-computed figures still hold for the judged ones at the top.
    expect(results.runs[0]!.metrics["MRR@10"]).toBeGreaterThanOrEqual(0.625);
    const file = await loadTrecRun(join(out, "run.maxscore.exact.trec"));
    expect(file.get("1048585")![0]!.docId).toBe("11");
  });
});

describe.skipIf(!haveToy)("bench msmarco with synthetic distractors", () => {
  it("adds seeded synthetic documents and says the corpus is partly synthetic", async () => {
    const qrelsPath = join(dir, "toy-qrels-3.txt");
    writeFileSync(qrelsPath, TOY_QRELS);
    const out = join(dir, "toy-synthetic");
    const args = [
      "--qrels", qrelsPath, "--doc-vectors", sharedDataPath(TOY_DOCS), "--query-vectors", sharedDataPath(TOY_QUERIES),
      "--synthetic-docs", "300", "--algorithms", "maxscore,exhaustive,ranges", "--modes", "exact,approximate", "--recall", "0.9", "--k", "50", "--warmup", "0",
      "--out", out, "--quiet",
    ];
    const results = await runMsmarcoBenchmark(parseMsmarcoArgs(args));
    expect(results.dataset).toMatchObject({ docs: 320, collectionDocs: 20, syntheticDocs: 300, synthetic: true, subset: false });
    expect(results.dataset.notes.join(" ")).toMatch(/300 documents are synthetic distractors/);
    expect(readFileSync(join(out, "results.md"), "utf8")).toMatch(/PARTLY SYNTHETIC: 300 of the 320 documents/);
    // Rank-safe algorithms agree on the mixed corpus, and the run files name synthetic ids as such.
    expect(results.runs[0]!.metrics).toEqual(results.runs[1]!.metrics);
    // Approximate mode is one more point for the range search only; under 1,000 documents it searches exactly.
    expect(results.runs.map((r) => `${r.algorithm} ${r.mode}`)).toEqual(["maxscore exact", "exhaustive exact", "ranges exact", "ranges approximate@0.9"]);
    expect(results.runs[3]!.metrics).toEqual(results.runs[2]!.metrics);
    const file = await loadTrecRun(join(out, "run.maxscore.exact.trec"));
    expect([...file.values()].flat().some((h) => h.docId.startsWith("synthetic-"))).toBe(true);
    const again = await runMsmarcoBenchmark(parseMsmarcoArgs(args));
    expect(again.runs[0]!.metrics).toEqual(results.runs[0]!.metrics);
  });
});

describe.skipIf(!hasSharedData(TOY_PASSAGES) || !hasSharedData(TOKENIZER))("bench msmarco with text encoded by BM25", () => {
  it("encodes the 89 real passages and the queries, and finds the passage a query paraphrases", async () => {
    const queries = join(dir, "queries.tsv");
    writeFileSync(queries, "h1\twhy was hanford chosen for the b reactor\nh2\tatomic bomb world war\nunjudged\tnothing\n");
    const qrels = join(dir, "bm25-qrels.txt");
    writeFileSync(qrels, "h1 0 9 1\nh2 0 1 1\nh2 0 3 1\n");
    const out = join(dir, "bm25-out");
    const results = await runMsmarcoBenchmark(
      parseMsmarcoArgs([
        "--qrels", qrels, "--collection", sharedDataPath(TOY_PASSAGES), "--queries", queries, "--encoder", "bm25",
        "--algorithms", "exhaustive,maxscore", "--k", "100", "--warmup", "0", "--out", out, "--quiet",
      ]),
    );
    expect(results.dataset).toMatchObject({ docs: 89, queries: 2 });
    expect(results.dataset.encoder).toMatch(/BM25/);
    expect(results.encode.documents.texts).toBe(89);
    expect(results.encode.queries.texts).toBe(2);
    expect(results.encode.documents.perSecond).toBeGreaterThan(0);
    const file = await loadTrecRun(join(out, "run.maxscore.exact.trec"));
    expect(file.get("h1")![0]!.docId).toBe("9");
    for (const run of results.runs) {
      expect(run.metrics["R@100"]).toBe(1); // every judged passage shares words with its query
      expect(run.metrics["MRR@10"]).toBeGreaterThanOrEqual(0.5);
    }
  });
});

describe.skipIf(!hasSharedData(TOY_PASSAGES) || !hasSharedData(TOKENIZER))("bench msmarco on a BEIR folder", () => {
  it("reads corpus.jsonl (title + text), queries.jsonl and qrels/test.tsv from --beir DIR", async () => {
    const folder = join(dir, "beir-toy");
    mkdirSync(join(folder, "qrels"), { recursive: true });
    const passages = (await readCollection(sharedDataPath(TOY_PASSAGES)).toArray()).slice(0, 30);
    writeFileSync(
      join(folder, "corpus.jsonl"),
      passages.map((p) => JSON.stringify({ _id: `doc${p.id}`, title: p.id === "9" ? "Hanford Site" : "", text: p.text })).join("\n") + "\n",
    );
    writeFileSync(join(folder, "queries.jsonl"), JSON.stringify({ _id: "q1", text: "hanford site reactor" }) + "\n");
    writeFileSync(join(folder, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\tdoc9\t2\n");
    const out = join(dir, "beir-out");
    const results = await runMsmarcoBenchmark(
      parseMsmarcoArgs(["--beir", folder, "--encoder", "bm25", "--algorithms", "maxscore", "--k", "10", "--warmup", "0", "--out", out, "--quiet"]),
    );
    expect(results.dataset).toMatchObject({ name: "BEIR beir-toy", docs: 30, queries: 1, judgedDocs: 1 });
    expect(results.runs[0]!.metrics["nDCG@10"]).toBe(1);
    expect(() => parseMsmarcoArgs(["--beir", join(dir, "absent"), "--encoder", "bm25"])).toThrow(/corpus\.jsonl does not exist/);
  });
});

const WORKER_BUILT = existsSync(join(repositoryRoot(), "dist", "encoder", "encoder-worker.js"));

describe.skipIf(!hasSharedData(TOY_PASSAGES) || !hasSharedData(TOKENIZER) || !WORKER_BUILT)(
  "bench msmarco with a SPLADE model folder through the encoder pool (generated hand-set model; needs `npm run build`)",
  () => {
    it("encodes documents and queries with --model and retrieves the paraphrased passage", async () => {
      const model = generateModelFolder(join(dir, "hand-set-model"), {
        size: "tiny",
        weights: "hand-set",
        tokenizerPath: sharedDataPath(TOKENIZER),
      }).dir;
      const queries = join(dir, "model-queries.tsv");
      writeFileSync(queries, "h1\twhy was hanford chosen for the b reactor\n");
      const qrels = join(dir, "model-qrels.txt");
      writeFileSync(qrels, "h1 0 9 1\n");
      const out = join(dir, "model-out");
      const results = await runMsmarcoBenchmark(
        parseMsmarcoArgs([
          "--qrels", qrels, "--collection", sharedDataPath(TOY_PASSAGES), "--queries", queries, "--model", model,
          "--algorithms", "maxscore", "--modes", "exact", "--k", "10", "--warmup", "0", "--out", out, "--quiet",
        ]),
      );
      expect(results.dataset.encoder).toMatch(/SPLADE/);
      expect(results.encode.documents.texts).toBe(89);
      expect(results.dataset.avgDocNnz).toBeGreaterThan(0);
      expect(results.runs[0]!.metrics["MRR@10"]).toBe(1);
    }, 60_000);
  },
);
