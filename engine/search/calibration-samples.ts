import type { SegmentIndex } from "../index/segment-index.js";
import { SparseVector } from "../sparse-vector.js";

/**
 * Pseudo-queries drawn from a segment's documents, for calibrating approximate search before the
 * collection has served real queries (approximate-calibration.ts). What they must get right is how
 * a real query's recall reacts to bound-term pruning, and that depends on the shape of its weights:
 * a SPLADE query (MS MARCO dev, SPLADE++ ED: median 44 non-zeros, 10th-90th percentile 25-68) puts
 * about half its mass in its 5 heaviest terms, its i-th heaviest weighing about (1 + i/9)^-1.9 of
 * the heaviest (0.47 at rank 5, 0.27 at 10, 0.11 at 20, 0.04 at 40), while a document's weights are
 * flat (0.54-0.58 at rank 10). A document's heaviest terms with their own weights therefore lose far
 * more to pruning than real queries do.
 *
 * Families (measured against real queries in BENCHMARKS.md):
 * - "top": the document's QUERY_TERMS heaviest terms, its own weights (the first sampler);
 * - "shaped": the document's m heaviest terms, m spread over the query-length range, re-weighted by
 *   rank to the query shape above;
 * - "shaped-idf": the same, with the terms ranked by weight x idf (a query's heaviest terms are its
 *   informative ones).
 * Every family is deterministic in (segment, sample number) and bounded: at most MAX_SAMPLE_TERMS terms.
 */
export type SampleFamily = "top" | "shaped" | "shaped-idf";

export const QUERY_TERMS = 20;
/** The query lengths a shaped sample takes, spread evenly over the samples: 24 to 64 terms. */
export const MIN_SAMPLE_TERMS = 24;
export const MAX_SAMPLE_TERMS = 64;

/** The weight of a query's i-th heaviest term (0-based) relative to its heaviest. */
export function queryShape(i: number): number {
  return (1 + i / 9) ** -1.9;
}

/** The length of sample number `sample`: a low-discrepancy spread over MIN..MAX_SAMPLE_TERMS. */
export function sampleLength(sample: number): number {
  const u = (sample * 0.6180339887498949) % 1;
  return MIN_SAMPLE_TERMS + Math.floor(u * (MAX_SAMPLE_TERMS - MIN_SAMPLE_TERMS + 1));
}

/** A pseudo-query from document `doc` as sample number `sample`, or undefined for an empty document. */
export function sampleQuery(index: SegmentIndex, doc: number, sample: number, family: SampleFamily = "shaped"): SparseVector | undefined {
  const { docStart, terms, weights } = index.forward;
  const s = docStart[doc]!, e = docStart[doc + 1]!;
  if (e === s) return undefined;
  const n = index.numDocs, df = index.ranges.a.termDocFreq;
  const rank = (i: number) => (family === "shaped-idf" ? weights[i]! * Math.log(1 + n / Math.max(1, df[terms[i]!]!)) : weights[i]!);
  const order = Array.from({ length: e - s }, (_, i) => s + i).sort((a, b) => rank(b) - rank(a) || terms[a]! - terms[b]!);
  const top = order.slice(0, family === "top" ? QUERY_TERMS : sampleLength(sample));
  const w = family === "top" ? top.map((i) => weights[i]!) : top.map((_, r) => Math.fround(queryShape(r)));
  return SparseVector.fromArrays(top.map((i) => terms[i]!), w, { role: "query" });
}
