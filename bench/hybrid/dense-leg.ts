import { FlatDenseTopK, flatDenseSearch, type AcceptRow, type DenseHit } from "../../engine/dense/flat-dense-search.js";
import { HnswDenseIndex, type HnswOptions } from "../../engine/dense/hnsw-dense-index.js";
import type { DenseMetric } from "../../engine/dense/dense-metric.js";
import { summarizeLatency, type LatencySummary } from "../metrics/latency.js";

/**
 * The dense leg of the hybrid benchmark: the exact truth (blocked multi-query flat top-k), the flat
 * leg's and the HNSW leg's per-query latency, HNSW recall@k against the truth, build time and
 * memory. A pure measurement over a matrix and queries; main.ts makes the corpus and prints.
 */
export interface DenseLegReport {
  buildSeconds: number;
  /** User + system CPU time of the process over the build (every usearch thread). */
  buildCpuSeconds: number;
  /** Process RSS growth across the HNSW build (usearch's graph and its f16 copy are native memory). */
  hnswNativeBytes: number;
  /** serialize()'s length (what a segment would store), when measured. */
  serializedBytes?: number;
  loadSeconds?: number;
  /** The loaded index gives the same hits as the built one. */
  loadedEqual?: boolean;
  truthSeconds: number;
  flat: LatencySummary & { queries: number };
  hnsw: LatencySummary & { queries: number; recall: number; scoresEqualFlat: boolean; minCandidates: number };
  /** The same searches at other minCandidates (the search-time knob). */
  candidateSweep: (LatencySummary & { minCandidates: number; recall: number })[];
  filtered: FilteredReport[];
}

export interface FilteredReport {
  name: string;
  share: number;
  recall: number;
  hnsw: LatencySummary;
  /** Share of queries answered by the flat fallback. */
  flatFallbackShare: number;
}

export interface DenseLegOptions {
  matrix: Float32Array;
  dims: number;
  metric: DenseMetric;
  queries: Float32Array[];
  k: number;
  hnsw: Partial<HnswOptions>;
  /** Queries timed on the flat leg (each a full scan). */
  flatQueries: number;
  serialize: boolean;
  /** minCandidates values to sweep after the main measurement. */
  candidateSweep: number[];
  /** Filters measured: accept rows with row % modulus === 0. */
  filterModuli: number[];
  log: (line: string) => void;
}

export async function measureDenseLeg(o: DenseLegOptions): Promise<{ report: DenseLegReport; index: HnswDenseIndex; truth: DenseHit[][] }> {
  const { matrix, dims, metric, queries, k } = o;
  let t = performance.now();
  const truth = exactTopK(matrix, dims, queries, k, metric);
  const truthSeconds = (performance.now() - t) / 1000;
  o.log(`truth: ${queries.length} queries in ${truthSeconds.toFixed(1)} s`);

  const flatSamples: number[] = [];
  for (const q of queries.slice(0, o.flatQueries)) {
    t = performance.now();
    flatDenseSearch(matrix, dims, q, k, metric);
    flatSamples.push(performance.now() - t);
  }
  o.log(`flat leg: ${flatSamples.length} queries`);

  const rssBefore = process.memoryUsage().rss;
  t = performance.now();
  const cpu = process.cpuUsage();
  let index = await HnswDenseIndex.build(matrix, dims, metric, o.hnsw);
  const buildSeconds = (performance.now() - t) / 1000;
  const cpuUsed = process.cpuUsage(cpu);
  const buildCpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  const hnswNativeBytes = Math.max(0, process.memoryUsage().rss - rssBefore);
  o.log(`hnsw build: ${buildSeconds.toFixed(1)} s`);

  const report: DenseLegReport = { buildSeconds, buildCpuSeconds, hnswNativeBytes, truthSeconds, flat: { ...summarizeLatency(flatSamples), queries: flatSamples.length }, hnsw: undefined as never, candidateSweep: [], filtered: [] };
  if (o.serialize) {
    const bytes = index.serialize();
    report.serializedBytes = bytes.length;
    t = performance.now();
    const loaded = await HnswDenseIndex.load(bytes, matrix, dims, metric);
    report.loadSeconds = (performance.now() - t) / 1000;
    report.loadedEqual = queries.every((q) => JSON.stringify(loaded.search(q, k)) === JSON.stringify(index.search(q, k)));
    index = loaded;
  }

  for (const q of queries.slice(0, 5)) index.search(q, k); // warm-up
  const hnswSamples: number[] = [];
  let recallSum = 0;
  let scoresEqualFlat = true;
  queries.forEach((q, i) => {
    t = performance.now();
    const hits = index.search(q, k);
    hnswSamples.push(performance.now() - t);
    recallSum += recallAt(hits, truth[i]!, k);
    // Every hit's score is the flat score of its row (exact re-score).
    const exact = new Map(truth[i]!.map((h) => [h.row, h.score]));
    for (const h of hits) if (exact.has(h.row) && exact.get(h.row) !== h.score) scoresEqualFlat = false;
  });
  report.hnsw = { ...summarizeLatency(hnswSamples), queries: queries.length, recall: recallSum / queries.length, scoresEqualFlat, minCandidates: index.minCandidates };
  const chosen = index.minCandidates;
  for (const c of o.candidateSweep) {
    index.minCandidates = c;
    const samples: number[] = [];
    let recall = 0;
    queries.forEach((q, i) => {
      t = performance.now();
      const hits = index.search(q, k);
      samples.push(performance.now() - t);
      recall += recallAt(hits, truth[i]!, k);
    });
    report.candidateSweep.push({ ...summarizeLatency(samples), minCandidates: c, recall: recall / queries.length });
  }
  index.minCandidates = chosen;

  for (const m of o.filterModuli) {
    const accept: AcceptRow = (row) => row % m === 0;
    const filteredTruth = exactTopK(matrix, dims, queries, k, metric, accept);
    const samples: number[] = [];
    let recall = 0, flatPath = 0;
    queries.forEach((q, i) => {
      t = performance.now();
      const hits = index.search(q, k, accept);
      samples.push(performance.now() - t);
      if (index.lastSearch.path === "flat") flatPath++;
      recall += recallAt(hits, filteredTruth[i]!, k);
    });
    report.filtered.push({ name: `row % ${m} = 0`, share: 1 / m, recall: recall / queries.length, hnsw: summarizeLatency(samples), flatFallbackShare: flatPath / queries.length });
    o.log(`filter 1/${m}: done`);
  }
  return { report, index, truth };
}

function exactTopK(matrix: Float32Array, dims: number, queries: Float32Array[], k: number, metric: DenseMetric, accept?: AcceptRow): DenseHit[][] {
  const f = new FlatDenseTopK(queries, dims, k, metric, accept);
  f.add(matrix, 0);
  return f.results();
}

/** |found ∩ truth| / min(k, |truth|). */
export function recallAt(found: readonly DenseHit[], truth: readonly DenseHit[], k: number): number {
  const want = Math.min(k, truth.length);
  if (want === 0) return 1;
  const t = new Set(truth.slice(0, k).map((h) => h.row));
  let hit = 0;
  for (const h of found.slice(0, k)) if (t.has(h.row)) hit++;
  return hit / want;
}
