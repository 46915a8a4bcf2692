/**
 * `npm run bench -- ingest [--format anserini|jsonl] [--docs N] [--scale S] [--threads T] [--segment-docs B] [--file F] [--dir D] [--json out.json]`
 *
 * The bulk ingest of a file of precomputed vectors, phase by phase, on the synthetic corpus
 * (bench/synthetic, ~120 nnz/doc) written as an Anserini pre-encoded TSV file (or, with
 * `--format jsonl`, as JSON lines `{"id":"doc-N","vector":{"tok":0.1234,...}}`):
 * - file: writes N documents once (kept at --file, or in the temp folder under a name saying its
 *   size, scale and seed, and reused by later runs);
 * - parse: reading and parsing the file alone: the line path (LineSource + the line parser,
 *   what ingest used before, the baseline), then the chunked path (engine/cli/ingest-input.ts)
 *   on the main thread and on T worker threads (default: the CLI's --parse-threads default):
 *   documents/s and CPU microseconds per document (all threads);
 * - build: CollectionStore.bulkLoad of the same documents from memory into a new collection
 *   (segments of B, durable commits, no file reading);
 * - end to end: `sparsedb ingest --dir D --format F FILE` into a new collection, as a user runs
 *   it (parse, build, durable commits), with --on-error skip and with the default stop (which
 *   checks every line before writing); CPU us/doc of the child process (all its threads).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChunkFormat } from "../../engine/cli/chunk-parsers.js";
import { chunkReader, parseLineEntry } from "../../engine/cli/ingest-input.js";
import { defaultParseThreads } from "../../engine/cli/ingest-plan.js";
import type { LineParserOptions } from "../../engine/cli/input-formats.js";
import { LineSource } from "../../engine/cli/line-source.js";
import { Vocabulary } from "../../engine/vocabulary.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { intOption, parseArgs } from "../cli-args.js";
import { generateDocumentBatch } from "../synthetic/generator.js";
import { bertTokens, writeAnseriniFile, writeJsonlFile } from "./anserini-file.js";

const USAGE =
  "usage: npm run bench -- ingest [--format anserini|jsonl (anserini)] [--docs N (1000000)] [--scale S (10)] [--threads T (ingest's default)] [--segment-docs B (the store's default: by memory)] [--seed S] [--file F] [--dir D] [--json out.json] [--skip-stop] [--only parse|build|e2e]";

const CLI = fileURLToPath(new URL("../../engine/cli/main.js", import.meta.url));
const SEED = 42;

interface Phase {
  phase: string;
  seconds: number;
  docsPerSec: number;
  cpuUsPerDoc?: number;
}

/**
 * CPU seconds of this process's waited-for children (cutime + cstime of /proc/self/stat, in
 * clock ticks of 1/100 s); undefined off Linux. Node exposes no RUSAGE_CHILDREN.
 */
function childCpu(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;
const cpuSeconds = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;

export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log(USAGE);
    return;
  }
  const args = parseArgs(argv, ["--format", "--docs", "--scale", "--threads", "--segment-docs", "--seed", "--file", "--dir", "--json", "--only"], ["--skip-stop"]);
  const only = args.values.get("--only");
  const runs = (phase: "parse" | "build" | "e2e"): boolean => only === undefined || only === phase;
  const docs = intOption(args, "--docs", 1_000_000, 1);
  const scale = intOption(args, "--scale", 10, 1);
  const threads = intOption(args, "--threads", defaultParseThreads(), 1);
  const format = args.values.get("--format") ?? "anserini";
  if (format !== "anserini" && format !== "jsonl") throw new Error(`--format must be anserini or jsonl, got ${format}`);
  const segmentDocs = args.values.has("--segment-docs") ? intOption(args, "--segment-docs", 0, 1) : undefined;
  const seed = intOption(args, "--seed", SEED);
  const file = args.values.get("--file") ?? join(tmpdir(), format === "anserini" ? `sparsedb-bench-ingest-${docs}-s${scale}-seed${seed}.tsv` : `sparsedb-bench-ingest-${docs}-seed${seed}-v2.jsonl`);
  const root = args.values.get("--dir") ?? mkdtempSync(join(tmpdir(), "sparsedb-bench-ingest-"));
  const log = (s: string): void => console.log(s);
  const phases: Phase[] = [];
  const record = (phase: string, secs: number, cpu?: number): void => {
    const p: Phase = { phase, seconds: secs, docsPerSec: Math.round(docs / secs), ...(cpu === undefined ? {} : { cpuUsPerDoc: (cpu * 1e6) / docs }) };
    phases.push(p);
    log(`${phase.padEnd(34)} ${secs.toFixed(2).padStart(7)} s ${p.docsPerSec.toLocaleString("en-US").padStart(9)} docs/s${p.cpuUsPerDoc === undefined ? "" : `  ${p.cpuUsPerDoc.toFixed(1)} us CPU/doc`}`);
  };

  if (!existsSync(file)) {
    const t0 = performance.now();
    const w = format === "anserini" ? await writeAnseriniFile(file, docs, { seed, scale }) : await writeJsonlFile(file, docs, { seed });
    log(`wrote ${file}: ${docs} docs, ${w.postings} postings, ${(w.bytes / 2 ** 20).toFixed(0)} MiB in ${seconds(t0).toFixed(1)} s`);
  }
  const fileBytes = statSync(file).size;
  log(`file ${file}: ${(fileBytes / 2 ** 20).toFixed(0)} MiB, ${(fileBytes / docs).toFixed(0)} bytes/doc (${format === "anserini" ? `scale ${scale}` : "JSON lines"})`);

  // Parse alone: every document read and parsed, nothing kept.
  const tokens = bertTokens();
  if (runs("parse")) {
    const vocabulary = new Vocabulary(tokens);
    const parser: LineParserOptions = { format, vocabulary, textField: "text", vectorKeys: "tokens", anseriniScale: scale };
    const source = await LineSource.open(file);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    for await (const [, line] of source.lines()) {
      const e = parseLineEntry(line, parser);
      if (e !== undefined && !("bad" in e) && e.vector !== undefined) n++;
    }
    if (n !== docs) throw new Error(`parsed ${n} documents of ${docs}`);
    record("parse (line path, before)", seconds(t0), cpuSeconds(process.cpuUsage(c0)));
  }
  for (const t of runs("parse") ? [0, threads] : []) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    const chunkFormat: ChunkFormat = format === "anserini" ? { format, tokens, scale } : { format, tokens };
    const vocabulary = new Vocabulary(tokens);
    const parser: LineParserOptions = { format, vocabulary, textField: "text", vectorKeys: "tokens", anseriniScale: scale };
    // What ingest reads: batches of entries, a batch per chunk (engine/cli/ingest-input.ts).
    const input = chunkReader(await LineSource.open(file), { format: chunkFormat, threads: t, parser, keepBytes: 0 });
    for await (const batch of input.batches()) for (const [, entry] of batch) if (!("bad" in entry)) n++;
    if (n !== docs) throw new Error(`parsed ${n} documents of ${docs}`);
    record(`parse (${t === 0 ? "main thread" : `${t} worker threads`})`, seconds(t0), cpuSeconds(process.cpuUsage(c0)));
  }

  // Build alone: the same documents from memory, through the bulk-load path.
  if (runs("build")) {
    const dir = join(root, "build");
    rmSync(dir, { recursive: true, force: true });
    const batches = Array.from({ length: Math.ceil(docs / 65536) }, (_, b) => generateDocumentBatch(b * 65536, Math.min(65536, docs - b * 65536), { seed }));
    const c = await CollectionStore.open(dir, { create: true, autoMerge: false });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await c.bulkLoad(
      (async function* () {
        for (const batch of batches) {
          for (let i = 0; i < batch.count; i++) {
            const from = batch.docOffsets[i]!, to = batch.docOffsets[i + 1]!;
            yield { id: `doc-${batch.firstDoc + i}`, vector: SparseVector.fromCheckedArrays(batch.terms.subarray(from, to), batch.weights.subarray(from, to)) };
          }
        }
      })(),
      { segmentDocs },
    );
    record(`build (bulkLoad from memory)`, seconds(t0), cpuSeconds(process.cpuUsage(c0)));
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // End to end: the command a user runs, into a new collection.
  for (const onError of !runs("e2e") ? [] : args.flags.has("--skip-stop") ? ["skip"] : ["skip", "stop"]) {
    const dir = join(root, `e2e-${onError}`);
    rmSync(dir, { recursive: true, force: true });
    const t0 = performance.now();
    const c0 = childCpu();
    const threadArgs = args.values.has("--threads") ? ["--parse-threads", String(threads)] : [];
    const segmentArgs = segmentDocs === undefined ? [] : ["--segment-docs", String(segmentDocs)];
    const r = spawnSync(process.execPath, [CLI, "ingest", "--dir", dir, "--format", format, "--scale", String(scale), ...segmentArgs, ...threadArgs, "--on-error", onError, file], { encoding: "utf8" });
    const secs = seconds(t0);
    const c1 = childCpu();
    if (r.status !== 0 || !r.stdout.includes(`${docs} documents written`)) throw new Error(`sparsedb ingest failed (${r.status}): ${r.stdout}\n${r.stderr}`);
    record(`sparsedb ingest --on-error ${onError}`, secs, c1 === undefined || c0 === undefined ? undefined : c1 - c0);
    rmSync(dir, { recursive: true, force: true });
  }
  if (!args.values.get("--dir")) rmSync(root, { recursive: true, force: true });

  const report = { format, docs, scale, fileBytes, threads, segmentDocs: segmentDocs ?? null, cores: availableParallelism(), phases };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  const out = args.values.get("--json");
  if (out) writeFileSync(out, json + "\n");
}
