import { SparseDbError } from "../../engine/errors.js";

export interface LatencySummary {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Mean and nearest-rank percentiles of per-query latencies in milliseconds: the p-th percentile
 * is the smallest sample with at least p% of the samples at or below it.
 */
export function summarizeLatency(samplesMs: readonly number[]): LatencySummary {
  if (samplesMs.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "no latency samples to summarize; run at least one query");
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  return { meanMs: sum / sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sortedAscending: ArrayLike<number>, p: number): number {
  const n = sortedAscending.length;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAscending[Math.min(n, rank) - 1]!;
}
