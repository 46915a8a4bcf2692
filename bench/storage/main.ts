/**
 * `npm run bench -- storage [--docs N] [--json out.json] [--ingest-seconds S] [--dir D]`
 *
 * Durable-storage figures on a synthetic SPLADE-like corpus (bench/synthetic, ~120 nnz/doc):
 * - ingest: vectors/s for each durability mode with 1 and 64 concurrent writers, each writer
 *   upserting --vectors-per-call vectors per call (1 by default, so "always" is only fast
 *   through group commit); each run lasts --ingest-seconds and includes the flushes it causes;
 * - flushSeconds: one memtable of N docs into a segment (build + write + fsync + commit);
 * - reopenSeconds: opening the N-doc collection (read, checksum every section, build id maps);
 * - mergeSeconds: force-merging N docs held in 10 segments into one;
 * - bulkLoad: vectors/s of CollectionStore.bulkLoad of the N docs into a new collection
 *   (segments of --segment-docs, else the store's memory-sized default; durable at each commit,
 *   no log), its peak RSS, then exact k=10 search p50 over --queries synthetic queries right
 *   after the load and after a forceMerge (and the merge's time);
 * - diskBytesPerPosting (segment files / postings) and memoryBytesPerPosting (inverted + forward
 *   index bytes / postings) of the flushed segment.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CollectionStore, type Durability } from "../../engine/collection/collection-store.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { intOption, parseArgs } from "../cli-args.js";
import { batchVector, generateDocumentBatch, generateQueries } from "../synthetic/generator.js";

interface StorageReport {
  docs: number;
  ingest: { mode: Durability; writers: number; vectorsPerSec: number; vectorsPerCall: number }[];
  flushSeconds: number;
  mergeSeconds: number;
  reopenSeconds: number;
  bulkLoad: { segmentDocs: number | null; segments: number; seconds: number; vectorsPerSec: number; rssBeforeMiB: number; peakRssMiB: number; searchP50Ms: number; mergeSeconds: number; mergedSearchP50Ms: number };
  diskBytesPerPosting: number;
  memoryBytesPerPosting: number;
  postings: number;
}

const USAGE =
  "usage: npm run bench -- storage [--docs N (1000000)] [--ingest-docs M (200000)] [--ingest-seconds S (5)] [--vectors-per-call V (1)] [--segment-docs B (by memory)] [--queries Q (200)] [--only bulk] [--seed S] [--dir D] [--json out.json]";

function corpus(docs: number, seed: number): SparseVector[] {
  const out: SparseVector[] = [];
  for (let first = 0; first < docs; first += 65536) {
    const batch = generateDocumentBatch(first, Math.min(65536, docs - first), { seed });
    for (let i = 0; i < batch.count; i++) out.push(batchVector(batch, i));
  }
  return out;
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

async function ingest(dir: string, vectors: SparseVector[], mode: Durability, writers: number, maxSeconds: number, perCall: number): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  const c = await CollectionStore.open(dir, { create: true, durability: mode });
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + maxSeconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < vectors.length && performance.now() < deadline) {
        const first = next;
        next = Math.min(next + perCall, vectors.length);
        await c.upsert(vectors.slice(first, next).map((v, j) => ({ id: `doc-${first + j}`, vector: v })));
      }
    }),
  );
  const rate = next / seconds(t0);
  await c.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

async function load(c: CollectionStore, vectors: SparseVector[]): Promise<void> {
  for (let i = 0; i < vectors.length; i += 2000) {
    await c.upsert(vectors.slice(i, i + 2000).map((v, j) => ({ id: `doc-${i + j}`, vector: v })));
  }
}

/** Exact k=10 search, one query at a time: the median latency in ms (after one warm-up pass over 20 queries). */
async function searchP50(c: CollectionStore, queries: SparseVector[]): Promise<number> {
  for (const q of queries.slice(0, 20)) await c.search({ vector: q, k: 10 });
  const ms: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    await c.search({ vector: q, k: 10 });
    ms.push(performance.now() - t);
  }
  ms.sort((x, y) => x - y);
  return ms[Math.floor(ms.length / 2)]!;
}

/** The process's peak resident set size between the call and stop(), in MiB (sampled every 100 ms). */
function sampleRss(): { stop: () => number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  return { stop: () => (clearInterval(timer), Math.round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20)) };
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log(USAGE);
    return;
  }
  const args = parseArgs(argv, ["--docs", "--ingest-docs", "--ingest-seconds", "--vectors-per-call", "--segment-docs", "--queries", "--only", "--seed", "--dir", "--json"]);
  const perCall = intOption(args, "--vectors-per-call", 1, 1);
  const docs = intOption(args, "--docs", 1_000_000, 10);
  const ingestDocs = Math.min(docs, intOption(args, "--ingest-docs", 200_000, 1));
  const ingestSeconds = intOption(args, "--ingest-seconds", 5, 1);
  const seed = intOption(args, "--seed", 42);
  const root = args.values.get("--dir") ?? mkdtempSync(join(tmpdir(), "sparsedb-bench-storage-"));
  const log = (s: string): void => console.log(s);

  let t0 = performance.now();
  const vectors = corpus(docs, seed);
  log(`generated ${docs} synthetic documents in ${seconds(t0).toFixed(1)} s`);

  const segmentDocs = args.values.has("--segment-docs") ? intOption(args, "--segment-docs", 0, 1) : undefined;
  const queries = generateQueries(intOption(args, "--queries", 200, 1), { seed });
  const report: StorageReport = {
    docs, ingest: [], flushSeconds: 0, mergeSeconds: 0, reopenSeconds: 0,
    bulkLoad: { segmentDocs: segmentDocs ?? null, segments: 0, seconds: 0, vectorsPerSec: 0, rssBeforeMiB: 0, peakRssMiB: 0, searchP50Ms: 0, mergeSeconds: 0, mergedSearchP50Ms: 0 },
    diskBytesPerPosting: 0, memoryBytesPerPosting: 0, postings: 0,
  };
  let c: CollectionStore;
  // --only bulk: the bulk-load figures alone (the upsert, flush and merge figures take minutes at 1M).
  if (args.values.get("--only") !== "bulk") {
    for (const mode of ["always", "batch", "off"] as const) {
      for (const writers of [1, 64]) {
        const rate = await ingest(join(root, "ingest"), vectors.slice(0, ingestDocs), mode, writers, ingestSeconds, perCall);
        report.ingest.push({ mode, writers, vectorsPerSec: Math.round(rate), vectorsPerCall: perCall });
        log(`ingest  mode=${mode.padEnd(6)} writers=${String(writers).padStart(2)}  ${Math.round(rate).toLocaleString("en-US")} vectors/s`);
      }
    }

    // Flush: one memtable holding every document.
    const big = join(root, "big");
    c = await CollectionStore.open(big, { create: true, durability: "off", memtableMaxDocs: docs + 1, autoMerge: false });
    await load(c, vectors);
    t0 = performance.now();
    await c.flush();
    report.flushSeconds = seconds(t0);
    const s = c.stats();
    report.postings = s.postings;
    report.memoryBytesPerPosting = s.indexBytes / s.postings;
    await c.close();
    log(`flush   ${docs} docs, ${s.postings} postings: ${report.flushSeconds.toFixed(2)} s`);

    t0 = performance.now();
    c = await CollectionStore.open(big);
    report.reopenSeconds = seconds(t0);
    const r = c.stats();
    report.diskBytesPerPosting = (r.diskBytes - r.walBytes) / r.postings;
    log(`reopen  ${r.docs} docs: ${report.reopenSeconds.toFixed(2)} s`);
    log(`size    disk ${(r.diskBytes / 2 ** 20).toFixed(1)} MiB = ${report.diskBytesPerPosting.toFixed(2)} B/posting; in memory ${report.memoryBytesPerPosting.toFixed(2)} B/posting (ratio ${(report.diskBytesPerPosting / report.memoryBytesPerPosting).toFixed(3)})`);
    await c.close();
    rmSync(big, { recursive: true, force: true });

    // Merge: the same documents in 10 segments, force-merged into one.
    const tiers = join(root, "merge");
    c = await CollectionStore.open(tiers, { create: true, durability: "off", memtableMaxDocs: Math.ceil(docs / 10), autoMerge: false });
    await load(c, vectors);
    await c.flush();
    await c.idle();
    const before = c.stats().segments;
    t0 = performance.now();
    await c.forceMerge();
    report.mergeSeconds = seconds(t0);
    log(`merge   ${before} segments, ${c.count()} docs into ${c.stats().segments}: ${report.mergeSeconds.toFixed(2)} s`);
    await c.close();
    rmSync(tiers, { recursive: true, force: true });
  }

  // Bulk load: the documents streamed straight into segments (no log), durable at each commit.
  const bulk = join(root, "bulk");
  c = await CollectionStore.open(bulk, { create: true, autoMerge: false });
  const b = report.bulkLoad;
  b.rssBeforeMiB = Math.round(process.memoryUsage.rss() / 2 ** 20); // the corpus held by this benchmark included
  const rss = sampleRss();
  t0 = performance.now();
  await c.bulkLoad((async function* () {
    for (let i = 0; i < vectors.length; i++) yield { id: `doc-${i}`, vector: vectors[i]! };
  })(), { segmentDocs });
  b.seconds = seconds(t0);
  b.peakRssMiB = rss.stop();
  b.vectorsPerSec = Math.round(docs / b.seconds);
  b.segments = c.stats().segments;
  b.searchP50Ms = await searchP50(c, queries);
  log(`bulk    ${c.count()} docs in ${b.segments} segments (${segmentDocs === undefined ? "sized by memory" : `of ${segmentDocs}`}): ${b.seconds.toFixed(2)} s, ${b.vectorsPerSec.toLocaleString("en-US")} vectors/s, peak RSS ${b.peakRssMiB} MiB (${b.rssBeforeMiB} before); exact search p50 right after: ${b.searchP50Ms.toFixed(2)} ms`);
  t0 = performance.now();
  await c.forceMerge();
  b.mergeSeconds = seconds(t0);
  b.mergedSearchP50Ms = await searchP50(c, queries);
  log(`bulk    forceMerge into ${c.stats().segments}: ${b.mergeSeconds.toFixed(2)} s; exact search p50 after: ${b.mergedSearchP50Ms.toFixed(2)} ms`);
  await c.close();
  if (!args.values.get("--dir")) rmSync(root, { recursive: true, force: true });

  const json = JSON.stringify(report, null, 2);
  console.log(json);
  const out = args.values.get("--json");
  if (out) writeFileSync(out, json + "\n");
}
