import { KERNEL_MAX_K } from "../search/range-search.js";
import type { DocHit } from "../search/top-k.js";
import type { LiveSegment } from "./live-segment.js";

/**
 * Makes a snapshot search's top-n independent of how documents are spread over segments when
 * scores tie at the n-th place, so that a page (offset, k) is exactly the slice of a bigger
 * search, and a search equals brute force by (score desc, id asc) in its ids, not only its scores.
 *
 * Why it is needed: a segment cuts ties at its own last place by doc id (insertion order), the
 * global order cuts them by external id, so a segment's top-n may leave out a document that ties
 * with its last hit and whose id sorts first. How it is found cheaply: each segment is asked for
 * n + 1 hits. A document it left out can belong to the global top n only if it ties with the
 * segment's (n+1)-th hit and that hit's score reaches the global n-th score theta: then at least
 * n + 1 documents score >= theta, a tie at theta. With distinct scores that never happens, so
 * the extra work below runs only on genuine ties: such a segment is searched again with a larger
 * k (doubling) until its result holds every document of score >= theta.
 *
 * Limit: a segment is searched at most KERNEL_MAX_K (10000) deep for this, so that the search
 * stays on the kernel. A tie shared by more documents of one segment than that (a one-term query
 * in mode "fast" over a large segment can do it) is cut by that segment's order beyond it.
 */
export interface SegmentResult {
  seg: LiveSegment;
  hits: DocHit[];
  /** The k the segment was searched with. */
  asked: number;
}

/** The n-th best score among `scores` that reach minScore, or undefined when fewer than n do. */
export function nthScore(scores: number[], n: number, minScore: number | undefined): number | undefined {
  const kept = minScore === undefined ? scores.slice() : scores.filter((s) => s >= minScore);
  if (kept.length < n) return undefined;
  kept.sort((a, b) => b - a);
  return kept[n - 1];
}

/** Whether `r` may have left out a document tied with theta (see above). */
export function mayCutTie(r: SegmentResult, theta: number | undefined): boolean {
  return theta !== undefined && r.hits.length === r.asked && r.hits[r.asked - 1]!.score >= theta;
}

/**
 * Searches again, with a larger k, every segment that may have cut a tie, until its hits hold
 * all its documents scoring >= theta. `search(seg, k)` is the segment search the first pass ran.
 */
export function completeTies(results: SegmentResult[], theta: number | undefined, search: (seg: LiveSegment, k: number) => DocHit[]): void {
  for (const r of results) {
    const deepest = Math.min(r.seg.numDocs, Math.max(r.asked, KERNEL_MAX_K));
    while (mayCutTie(r, theta) && r.asked < deepest) {
      r.asked = Math.min(r.asked * 2, deepest);
      r.hits = search(r.seg, r.asked);
    }
  }
}
