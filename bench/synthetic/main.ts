import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SparseDbError } from "../../engine/errors.js";
import { readVectors } from "../readers/vectors.js";
import { loadBertVocabulary, repositoryRoot, sharedDataDir, sharedDataPath } from "../readers/shared-data.js";
import { DEFAULT_DOCUMENT_NNZ, generateDocumentBatch, generateQueries } from "./generator.js";
import { MSMARCO_DEV_QUERIES } from "./fit-stats.js";
import { defaultStats, fitStats, termsCarrying, type CorpusStats, type SideStats } from "./stats.js";
import { statsModuleText } from "./stats-module.js";

const USAGE = `usage: npm run bench -- synthetic <command> [options]
  (or: node dist/bench/synthetic/main.js <command> [options])
  fit [--data DIR] [--write]    fit the statistics from the shared data; --write regenerates default-stats.ts
  show                          print the built-in statistics
  speed [--docs N] [--seed S]   time generating N documents (default 1000000)
  touch [--docs N] [--seed S] [--queries FILE] [--query-limit Q]
                                postings each real query touches on N synthetic documents`;

/**
 * `npm run bench -- synthetic <command> [options]`:
 *   fit [--data DIR] [--write]   fit the statistics from the shared data, print them; --write
 *                                regenerates the built-in bench/synthetic/default-stats.ts
 *   show                         print the built-in statistics
 *   speed [--docs N] [--seed S]  time the generation of N documents (default 1,000,000)
 *   touch [--docs N] [--seed S] [--queries FILE] [--query-limit Q]
 *                                generate N documents, then report how many postings each real
 *                                MS MARCO dev query touches (the sum of its terms' document frequencies)
 */
export async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return;
  }
  const opts = parseOptions(rest);
  switch (command) {
    case "fit": {
      const dataDir = opts.get("data") ?? sharedDataDir();
      const started = performance.now();
      const stats = await fitStats(dataDir, { log: (l) => console.log(l) });
      console.log(`fitted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      printStats(stats);
      if (opts.has("write")) {
        const path = join(repositoryRoot(), "bench", "synthetic", "default-stats.ts");
        writeFileSync(path, statsModuleText(stats));
        console.log(`wrote ${path}`);
      }
      return;
    }
    case "show":
      printStats(defaultStats());
      return;
    case "speed": {
      const docs = intOption(opts, "docs", 1_000_000);
      const seed = intOption(opts, "seed", 42);
      const started = performance.now();
      let postings = 0;
      for (let first = 0; first < docs; first += 65536) {
        const batch = generateDocumentBatch(first, Math.min(65536, docs - first), { seed });
        postings += batch.terms.length;
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `synthetic: true; generated ${docs} documents, ${postings} postings (${(postings / docs).toFixed(1)} per document) ` +
          `in ${seconds.toFixed(2)} s: ${(postings / seconds / 1e6).toFixed(1)} M postings/s`,
      );
      const queries = generateQueries(1000, { seed });
      console.log(`1000 synthetic queries: ${(queries.reduce((a, q) => a + q.nnz, 0) / 1000).toFixed(1)} non-zeros on average`);
      return;
    }
    case "touch": {
      await reportTouchedPostings(opts);
      return;
    }
    default:
      throw new SparseDbError("INVALID_ARGUMENT", `unknown synthetic command "${String(command)}"; use fit, show, speed or touch`);
  }
}

async function reportTouchedPostings(opts: Map<string, string>): Promise<void> {
  const docs = intOption(opts, "docs", 1_000_000);
  const seed = intOption(opts, "seed", 42);
  const queryLimit = intOption(opts, "query-limit", 1_000_000);
  const stats = defaultStats();
  const df = new Uint32Array(stats.vocabSize);
  let postings = 0;
  for (let first = 0; first < docs; first += 65536) {
    const batch = generateDocumentBatch(first, Math.min(65536, docs - first), { seed, stats });
    postings += batch.terms.length;
    for (const t of batch.terms) df[t]!++;
  }
  const path = opts.get("queries") ?? sharedDataPath(MSMARCO_DEV_QUERIES);
  const vocabulary = await loadBertVocabulary();
  const touched: number[] = [];
  const touchedFirst: number[] = [];
  for await (const { vector } of readVectors(path, vocabulary, { role: "query", limit: queryLimit })) {
    let sum = 0;
    for (const t of vector.terms) sum += df[t]!;
    touched.push(sum);
  }
  const synthetic = generateQueries(1000, { seed, stats });
  for (const q of synthetic) {
    let sum = 0;
    for (const t of q.terms) sum += df[t]!;
    touchedFirst.push(sum);
  }
  const describe = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return `mean ${fmt(mean)}, p50 ${fmt(q(0.5))}, p90 ${fmt(q(0.9))}, p99 ${fmt(q(0.99))}, max ${fmt(s[s.length - 1]!)} ` +
      `(${(mean / docs).toFixed(3)} x the number of documents)`;
  };
  console.log(`synthetic: true; ${docs} documents (seed ${seed}), ${postings} postings`);
  console.log(`${touched.length} real queries from ${path}: postings touched per query: ${describe(touched)}`);
  console.log(`1000 synthetic queries (seed ${seed}): postings touched per query: ${describe(touchedFirst)}`);
  const sortedDf = Array.from(df).sort((a, b) => b - a);
  console.log(`largest document frequencies: ${sortedDf.slice(0, 10).map(fmt).join(", ")}`);
}

function printStats(stats: CorpusStats): void {
  console.log(`source: ${stats.source}`);
  const side = (name: string, s: SideStats): void => {
    const model = s.nnz.kind === "lognormal" ? `lognormal sigma ${s.nnz.sigma.toFixed(3)}` : `table p50 ${(s.nnz.relative[16]! * s.nnzMean).toFixed(1)}`;
    console.log(`${name}: fitted nnz mean ${s.nnzMean.toFixed(1)} (${model}); terms carrying 50% / 90% / 99% of postings: ` +
      `${termsCarrying(s.termShare, 0.5)} / ${termsCarrying(s.termShare, 0.9)} / ${termsCarrying(s.termShare, 0.99)}`);
    s.weights.quantiles.forEach((q, c) => {
      const at = (p: number): string => q[Math.round(p * (q.length - 1))]!.toFixed(3);
      const bound = c < s.weights.classMinShare.length ? `share >= ${s.weights.classMinShare[c]!.toExponential(2)}` : "rest";
      console.log(`  weights, class ${c} (${bound}): p1 ${at(0.01)} p10 ${at(0.1)} p25 ${at(0.25)} p50 ${at(0.5)} p75 ${at(0.75)} p90 ${at(0.9)} p99 ${at(0.99)} max ${at(1)}`);
    });
  };
  side("documents", stats.documents);
  side("queries", stats.queries);
  console.log(`generator defaults: ${DEFAULT_DOCUMENT_NNZ} non-zeros per document, ${stats.queries.nnzMean.toFixed(1)} per query`);
}

function parseOptions(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) throw new SparseDbError("INVALID_ARGUMENT", `unexpected argument "${a}"; options look like --docs 1000000`);
    const next = args[i + 1];
    if (next === undefined || next.startsWith("--")) out.set(a.slice(2), "true");
    else {
      out.set(a.slice(2), next);
      i++;
    }
  }
  return out;
}

function intOption(opts: Map<string, string>, name: string, fallback: number): number {
  const v = opts.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new SparseDbError("INVALID_ARGUMENT", `--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

// Also runnable on its own: node dist/bench/synthetic/main.js <command> [options]
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
