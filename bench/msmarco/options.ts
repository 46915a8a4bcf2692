import { basename, resolve } from "node:path";
import { SparseDbError } from "../../engine/errors.js";
import { ALGORITHMS, checkAlgorithm, checkK, type AlgorithmName } from "../../engine/search/search.js";
import { checkRecall } from "../../engine/search/approximate-options.js";
import { intOption, parseArgs } from "../cli-args.js";
import { METRIC_NAMES, type Metrics } from "../../engine/eval/evaluate.js";
import { beirPaths } from "../readers/beir.js";

export type SearchMode = "exact" | "fast" | "approximate";
export type TextEncoderKind = "bm25" | "inference-free" | "splade";

/** Everything `npm run bench -- msmarco` is told; see USAGE. */
/** One search mode as the benchmark runs it: approximate once per requested recall. */
export interface RunMode {
  mode: SearchMode;
  recall?: number;
  /** exact, fast or approximate@R: the run's name in the report and its run file. */
  label: string;
}

export interface MsmarcoOptions {
  /** MS MARCO `collection.tsv` (pid<TAB>text): the documents' text, encoded when no --doc-vectors. */
  collection?: string;
  /** Queries `qid<TAB>text`: encoded when no --query-vectors. */
  queries?: string;
  qrels: string;
  /** Subset size (judged passages of the chosen queries + seeded sample); all documents when absent. */
  docs?: number;
  docVectors?: string;
  queryVectors?: string;
  /** Encoder of any text to encode: --model DIR means SPLADE. */
  encoder?: TextEncoderKind;
  modelDir?: string;
  /** A tokenizer.json for bm25 / inference-free (default: the shared BERT tokenizer). */
  tokenizer?: string;
  /** The IDF table for inference-free (default: the shared OpenSearch table). */
  idf?: string;
  /** BM25's options (k1, b, maxTokens, stopwords, dropPunctuation), checked by the encoder. */
  bm25?: Record<string, unknown>;
  /** Synthetic distractor documents added to the corpus (bench/synthetic generator, --seed). */
  syntheticDocs?: number;
  /** Divide Anserini TSV repeat counts by this (needed only when mixing with synthetic documents). */
  tsvScale?: number;
  /** How many of the judged queries to run (the first ones in file order); all when absent. */
  queryLimit?: number;
  k: number;
  algorithms: AlgorithmName[];
  /** exact, fast, and approximate@R per --recall (one point of the plot each). */
  modes: RunMode[];
  bits: number;
  seed: number;
  warmup: number;
  out: string;
  /** A name for the dataset in the report. */
  name?: string;
  plotMetric: keyof Metrics;
  keepIndex: boolean;
  /** No progress bars or summary printing (tests). */
  quiet?: boolean;
}

export const USAGE = `usage: npm run bench -- msmarco --qrels FILE (--collection FILE | --doc-vectors FILE) (--queries FILE | --query-vectors FILE) [options]

  --collection FILE      MS MARCO collection.tsv (pid<TAB>text) or BEIR corpus.jsonl, plain or gzip
  --queries FILE         queries / topics (qid<TAB>text) or BEIR queries.jsonl, plain or gzip
  --qrels FILE           TREC qrels (qid 0 pid rel) or BEIR qrels (query-id corpus-id score)
  --beir DIR             a BEIR dataset folder: sets --collection, --queries, --qrels (split: --split, default test)
  --doc-vectors FILE     pre-encoded documents: Anserini TSV or JSON lines, plain or gzip
  --query-vectors FILE   pre-encoded queries, same forms
  --docs N               subset: every judged passage of the chosen queries + a seeded random sample, N in all
  --query-limit Q        run the first Q judged queries (default: all)
  --synthetic-docs N     add N synthetic distractor documents (seeded, calibrated to SPLADE++; marked synthetic)
  --tsv-scale S          divide TSV repeat counts by S (1000 MS MARCO dev, 100 BEIR); needed with --synthetic-docs
  --model DIR            encode text with this SPLADE model folder (model.onnx, tokenizer.json)
  --encoder KIND         or encode text with bm25 | inference-free (no model needed)
  --tokenizer FILE       tokenizer.json for bm25 / inference-free (default: shared BERT tokenizer)
  --idf FILE             IDF table for inference-free (default: shared OpenSearch table)
  --bm25 JSON            BM25 options, e.g. '{"k1":1.2,"b":0.75,"stopwords":"english","dropPunctuation":true}'
  --k N                  hits per query (default 1000, as R@1000 needs)
  --algorithms LIST      comma-separated, from ${ALGORITHMS.join(",")} (default: all)
  --modes LIST           exact,fast (default both): exact = float top-k, fast = quantized top-k,
                         approximate = mode "approximate" once per --recall (range algorithms only)
  --recall LIST          recalls for approximate, comma-separated, in 0.8..0.999 (default 0.9,0.95,0.99)
  --bits N               impact bits (default 8)
  --seed N               subset sampling seed (default 42)
  --warmup N             untimed queries before each timed pass (default 100)
  --plot-metric NAME     y axis of plot.svg: ${METRIC_NAMES.join(", ")} (default nDCG@10)
  --name TEXT            dataset name in the report
  --out DIR              results folder (default bench-results/msmarco)
  --keep-index           keep the collection built under OUT/index`;

const VALUE_OPTIONS = [
  "--collection", "--queries", "--qrels", "--docs", "--doc-vectors", "--query-vectors", "--query-limit", "--model",
  "--encoder", "--tokenizer", "--idf", "--k", "--algorithms", "--modes", "--recall", "--bits", "--seed", "--warmup", "--plot-metric",
  "--name", "--out", "--beir", "--split", "--synthetic-docs", "--tsv-scale", "--bm25",
];

/** Parses and checks the command line; errors say which option is wrong and what is allowed. */
export function parseMsmarcoArgs(argv: string[]): MsmarcoOptions {
  const args = parseArgs(argv, VALUE_OPTIONS, ["--keep-index", "--quiet"]);
  const beirDir = args.values.get("--beir");
  const fromBeir = beirDir === undefined ? undefined : beirPaths(beirDir, args.values.get("--split") ?? "test");
  if (fromBeir === undefined && args.values.has("--split")) throw bad("--split goes with --beir DIR");
  const beirValue: Record<string, string | undefined> = {
    "--collection": fromBeir?.corpus,
    "--queries": fromBeir?.queries,
    "--qrels": fromBeir?.qrels,
  };
  const v = (name: string) => args.values.get(name) ?? beirValue[name];
  const qrels = v("--qrels");
  if (qrels === undefined) throw bad("--qrels FILE is required: the relevance judgements to score against");
  const collection = v("--collection");
  const docVectors = v("--doc-vectors");
  if (collection === undefined && docVectors === undefined) throw bad("give the documents: --collection FILE (text) or --doc-vectors FILE");
  const queries = v("--queries");
  const queryVectors = v("--query-vectors");
  if (queries === undefined && queryVectors === undefined) throw bad("give the queries: --queries FILE (text) or --query-vectors FILE");
  const modelDir = v("--model");
  const encoderName = v("--encoder");
  let encoder: TextEncoderKind | undefined;
  if (encoderName !== undefined) {
    if (encoderName !== "bm25" && encoderName !== "inference-free" && encoderName !== "splade") {
      throw bad(`--encoder ${encoderName} is unknown; use bm25 or inference-free (or --model DIR for SPLADE)`);
    }
    if (encoderName === "splade" && modelDir === undefined) throw bad("--encoder splade needs --model DIR");
    if (modelDir !== undefined && encoderName !== "splade") throw bad(`--model and --encoder ${encoderName} contradict each other; give one`);
    encoder = encoderName;
  } else if (modelDir !== undefined) encoder = "splade";
  const needsText = docVectors === undefined || queryVectors === undefined;
  if (needsText && encoder === undefined) {
    throw bad("text must be encoded (no --doc-vectors or no --query-vectors): give --model DIR or --encoder bm25|inference-free");
  }
  const algorithms = (v("--algorithms") ?? ALGORITHMS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(checkAlgorithm);
  if (algorithms.length === 0) throw bad(`--algorithms is empty; choose from ${ALGORITHMS.join(", ")}`);
  const modeNames = (v("--modes") ?? "exact,fast").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  for (const m of modeNames) if (m !== "exact" && m !== "fast" && m !== "approximate") throw bad(`--modes: "${m}" is unknown; use exact, fast and/or approximate`);
  if (modeNames.length === 0) throw bad("--modes is empty; use exact, fast and/or approximate");
  const recalls = (v("--recall") ?? "0.9,0.95,0.99").split(",").map((r) => checkRecall(Number(r)));
  const modes: RunMode[] = [...new Set(modeNames)].flatMap((m): RunMode[] =>
    m === "approximate" ? recalls.map((recall) => ({ mode: "approximate" as const, recall, label: `approximate@${recall}` })) : [{ mode: m as SearchMode, label: m }],
  );
  const plotMetric = v("--plot-metric") ?? "nDCG@10";
  if (!(METRIC_NAMES as readonly string[]).includes(plotMetric)) throw bad(`--plot-metric ${plotMetric} is unknown; use one of ${METRIC_NAMES.join(", ")}`);
  const k = checkK(intOption(args, "--k", 1000, 1));
  const docsValue = v("--docs");
  const queryLimitValue = v("--query-limit");
  const options: MsmarcoOptions = {
    qrels: resolve(qrels),
    k,
    algorithms: [...new Set(algorithms)],
    modes,
    bits: intOption(args, "--bits", 8, 1),
    seed: intOption(args, "--seed", 42, 0),
    warmup: intOption(args, "--warmup", 100, 0),
    out: resolve(v("--out") ?? "bench-results/msmarco"),
    plotMetric: plotMetric as keyof Metrics,
    keepIndex: args.flags.has("--keep-index"),
    quiet: args.flags.has("--quiet"),
  };
  if (collection !== undefined) options.collection = resolve(collection);
  if (docVectors !== undefined) options.docVectors = resolve(docVectors);
  if (queries !== undefined) options.queries = resolve(queries);
  if (queryVectors !== undefined) options.queryVectors = resolve(queryVectors);
  if (encoder !== undefined) options.encoder = encoder;
  if (modelDir !== undefined) options.modelDir = resolve(modelDir);
  const tokenizer = v("--tokenizer");
  if (tokenizer !== undefined) options.tokenizer = resolve(tokenizer);
  const idf = v("--idf");
  if (idf !== undefined) options.idf = resolve(idf);
  if (docsValue !== undefined) options.docs = intOption(args, "--docs", 0, 1);
  if (queryLimitValue !== undefined) options.queryLimit = intOption(args, "--query-limit", 0, 1);
  if (args.values.has("--synthetic-docs")) options.syntheticDocs = intOption(args, "--synthetic-docs", 0, 0);
  const tsvScale = v("--tsv-scale");
  if (tsvScale !== undefined) {
    const n = Number(tsvScale);
    if (!(Number.isFinite(n) && n > 0)) throw bad(`--tsv-scale must be a positive number, got ${tsvScale}`);
    options.tsvScale = n;
  }
  const bm25 = v("--bm25");
  if (bm25 !== undefined) {
    if (encoder !== "bm25") throw bad("--bm25 JSON goes with --encoder bm25");
    let parsed: unknown;
    try {
      parsed = JSON.parse(bm25);
    } catch (e) {
      throw bad(`--bm25 is not valid JSON (${(e as Error).message}): ${bm25}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw bad(`--bm25 must be a JSON object such as {"k1":1.2}, got ${bm25}`);
    options.bm25 = parsed as Record<string, unknown>;
  }
  const name = v("--name");
  if (name !== undefined) options.name = name;
  else if (beirDir !== undefined) options.name = `BEIR ${basename(resolve(beirDir))}`;
  return options;
}

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", `bench msmarco: ${message}\n\n${USAGE}`);
}
