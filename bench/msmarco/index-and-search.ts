import { rm } from "node:fs/promises";
import { join } from "node:path";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import type { Encoder } from "../../encoder/encoder.js";
import type { AlgorithmName } from "../../engine/search/search.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { evaluateQuery, METRIC_NAMES, zeroMetrics, type Metrics } from "../../engine/eval/evaluate.js";
import { summarizeLatency, type LatencySummary } from "../metrics/latency.js";
import type { Qrels } from "../../engine/eval/qrels.js";
import { roundRunScore, TrecRunWriter } from "../../engine/eval/trec-run-writer.js";
import type { SearchMode } from "./options.js";
import { ProgressBar } from "./progress.js";

export interface IndexFigures {
  docs: number;
  postings: number;
  buildSeconds: number;
  postingsPerSecond: number;
  /** Segment files on disk (the write-ahead log excluded). */
  segmentBytes: number;
  /** In-memory inverted + forward index bytes. */
  indexBytes: number;
  bytesPerPosting: number;
  segments: number;
}

const UPSERT_BATCH = 1000;

/**
 * Indexes the documents through the real storage path: a Collection in `dir` (write-ahead log,
 * memtable, one flush into one segment file, manifest commit), durability "off" since a benchmark
 * needs no fsync. Build time covers the upserts and the flush.
 */
export async function buildCollection(
  dir: string,
  docs: readonly { id: string; vector: SparseVector }[],
  bits: number,
  encoder: Encoder | undefined,
  quiet: boolean,
): Promise<{ collection: CollectionStore; figures: IndexFigures }> {
  await rm(dir, { recursive: true, force: true });
  // The encoder, when there is one, fixes the term space; without one it is BERT's 30522 terms.
  const collection = await CollectionStore.open(dir, {
    create: true,
    bits,
    durability: "off",
    memtableMaxDocs: docs.length + 1,
    autoMerge: false,
    ...(encoder === undefined ? {} : { encoder }),
  });
  const bar = new ProgressBar("indexing", docs.length, !quiet && process.stderr.isTTY === true);
  const started = performance.now();
  for (let i = 0; i < docs.length; i += UPSERT_BATCH) {
    const batch = docs.slice(i, i + UPSERT_BATCH);
    await collection.upsert(batch.map((d) => ({ id: d.id, vector: d.vector })));
    bar.advance(batch.length);
  }
  await collection.flush();
  const buildSeconds = (performance.now() - started) / 1000;
  bar.finish();
  const stats = collection.stats();
  return {
    collection,
    figures: {
      docs: stats.docs,
      postings: stats.postings,
      buildSeconds,
      postingsPerSecond: buildSeconds > 0 ? stats.postings / buildSeconds : 0,
      segmentBytes: stats.diskBytes - stats.walBytes,
      indexBytes: stats.indexBytes,
      bytesPerPosting: stats.postings > 0 ? stats.indexBytes / stats.postings : 0,
      segments: stats.segments,
    },
  };
}

export interface SearchRunResult {
  algorithm: AlgorithmName;
  /** exact, fast or approximate@R. */
  mode: string;
  metrics: Metrics;
  latency: LatencySummary;
  qps: number;
  runFile: string;
}

/**
 * Runs every query once with one algorithm and mode, after `warmup` untimed queries. Each query is
 * timed alone (single-threaded, one at a time); its hits go to the run file and are scored at once
 * (scores rounded as the file holds them, ties broken as trec_eval breaks them), so a long run
 * never sits in memory.
 */
export async function runQueries(
  collection: CollectionStore,
  queries: readonly { id: string; vector: SparseVector }[],
  qrels: Qrels,
  options: { algorithm: AlgorithmName; mode: SearchMode; recall?: number; label?: string; k: number; warmup: number; runFile: string; quiet: boolean },
): Promise<SearchRunResult> {
  const { algorithm, mode, k, recall } = options;
  const label = options.label ?? mode;
  for (let i = 0; i < Math.min(options.warmup, queries.length); i++) {
    await collection.search({ vector: queries[i]!.vector, k, algorithm, mode, recall });
  }
  const writer = new TrecRunWriter(options.runFile, `sparsedb-${algorithm}-${label}`);
  const latencies: number[] = [];
  const sums: Metrics = zeroMetrics();
  const bar = new ProgressBar(`${algorithm} ${label}`, queries.length, !options.quiet && process.stderr.isTTY === true);
  let searchMs = 0;
  for (const q of queries) {
    const t0 = performance.now();
    const hits = await collection.search({ vector: q.vector, k, algorithm, mode, recall });
    const ms = performance.now() - t0;
    latencies.push(ms);
    searchMs += ms;
    const ranked = hits.map((h) => ({ docId: h.id, score: roundRunScore(h.score) }));
    await writer.add(q.id, ranked);
    const m = evaluateQuery(ranked, qrels.get(q.id) ?? new Map());
    for (const name of METRIC_NAMES) sums[name] += m[name];
    bar.advance();
  }
  await writer.close();
  bar.finish();
  const metrics = { ...sums };
  for (const name of METRIC_NAMES) metrics[name] /= queries.length;
  return {
    algorithm,
    mode: label,
    metrics,
    latency: summarizeLatency(latencies),
    qps: searchMs > 0 ? (queries.length * 1000) / searchMs : 0,
    runFile: options.runFile,
  };
}

export function runFileName(dir: string, algorithm: string, mode: string): string {
  return join(dir, `run.${algorithm}.${mode}.trec`);
}
