import type { SparseVector } from "../sparse-vector.js";
import { DEFAULT_MAX_K, searchSegment } from "../search/search.js";
import { mayCutTie, type SegmentResult } from "./tie-completion.js";
import type { DocHit } from "../search/top-k.js";
import type { LiveSegment } from "./live-segment.js";
import { addSegmentHits, memtableCandidates, segmentDepth, segmentFilter, theta, topHits, type SnapshotSearchOptions } from "./snapshot-search.js";
import type { SearchHits } from "../requests.js";
import type { Snapshot } from "./snapshot.js";

/**
 * Runs one segment's default (range) search somewhere else, a worker thread
 * (engine/server/search-pool.ts): the hits as the in-process search gives them (sorted, scores
 * in float units), or undefined when it cannot take this search (then it runs in-process).
 * Whatever it reads of the segment's deletions it reads before it returns.
 */
export interface SegmentSearchPool {
  /** `minScore`: the search's scoreThreshold, which the range search prunes with (hits below it may come back). */
  search(seg: LiveSegment, query: SparseVector, o: { k: number; exact: boolean; minScore?: number }): Promise<DocHit[]> | undefined;
}

let installed: SegmentSearchPool | undefined;

/** Collection.search hands segment searches to `pool` from now on (undefined: back to in-process). */
export function installSegmentSearchPool(pool: SegmentSearchPool | undefined): void {
  installed = pool;
}

export function segmentSearchPool(): SegmentSearchPool | undefined {
  return installed;
}

/**
 * searchSnapshot with the segments searched by `pool`, in parallel. Everything that reads
 * mutable state (the memtables, each segment's deletions) happens before the first await, so
 * the result is the snapshot's as of the call, as for the synchronous search: a document
 * replaced meanwhile is neither found twice nor missed. Searches with a metadata filter or
 * another algorithm run in-process (the filter reads metadata on this thread).
 *
 * Resolves to undefined when scores tie at the last place in a way only searching a segment
 * again can settle (tie-completion.ts): the caller then runs the in-process search on a fresh
 * snapshot, since searching again after the await would mix two moments' deletions.
 */
export async function searchSnapshotParallel(snap: Snapshot, query: SparseVector, o: SnapshotSearchOptions, pool: SegmentSearchPool): Promise<SearchHits | undefined> {
  const candidates = memtableCandidates(snap, query, o);
  const remote: Promise<void>[] = [];
  const results: SegmentResult[] = [];
  // Approximate searches (per-segment calibration) and metadata filters stay in-process.
  const poolable = o.accept === undefined && o.recall === undefined && (o.algorithm === undefined || o.algorithm === "ranges");
  const asked = segmentDepth(o);
  for (const seg of snap.segments) {
    if (seg.liveDocs === 0) continue;
    const pending = poolable ? pool.search(seg, query, { k: asked, exact: o.exact, minScore: o.minScore }) : undefined;
    if (pending !== undefined) {
      remote.push(pending.then((hits) => void results.push({ seg, hits, asked })));
      continue;
    }
    const { filter, excluded } = segmentFilter(seg, o);
    const hits = searchSegment(seg.index, query, { k: asked, exact: o.exact, algorithm: o.algorithm, filter, excluded, minScore: o.minScore, maxK: Math.max(asked, DEFAULT_MAX_K) }).hits;
    results.push({ seg, hits, asked });
  }
  await Promise.all(remote);
  if (o.recall === undefined) {
    const t = theta(candidates, results, o);
    if (results.some((r) => mayCutTie(r, t))) return undefined;
  }
  for (const r of results) addSegmentHits(candidates, r.seg, r.hits);
  return topHits(candidates, query, o);
}
