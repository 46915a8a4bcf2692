import type { SparseVector } from "../sparse-vector.js";
import { searchSegment } from "../search/search.js";
import type { DocHit } from "../search/top-k.js";
import type { LiveSegment } from "./live-segment.js";
import { addSegmentHits, memtableCandidates, segmentFilter, topHits, type SnapshotSearchOptions } from "./snapshot-search.js";
import type { SearchHits } from "../requests.js";
import type { Snapshot } from "./snapshot.js";

/**
 * Runs one segment's default (range) search somewhere else, a worker thread
 * (engine/server/search-pool.ts): the hits as the in-process search gives them (sorted, scores
 * in float units), or undefined when it cannot take this search (then it runs in-process).
 * Whatever it reads of the segment's deletions it reads before it returns.
 */
export interface SegmentSearchPool {
  search(seg: LiveSegment, query: SparseVector, o: { k: number; exact: boolean }): Promise<DocHit[]> | undefined;
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
 */
export async function searchSnapshotParallel(snap: Snapshot, query: SparseVector, o: SnapshotSearchOptions, pool: SegmentSearchPool): Promise<SearchHits> {
  const candidates = memtableCandidates(snap, query, o);
  const remote: Promise<void>[] = [];
  // Approximate searches (per-segment calibration) and metadata filters stay in-process.
  const poolable = o.accept === undefined && o.recall === undefined && (o.algorithm === undefined || o.algorithm === "ranges");
  for (const seg of snap.segments) {
    if (seg.liveDocs === 0) continue;
    const pending = poolable ? pool.search(seg, query, { k: o.k, exact: o.exact }) : undefined;
    if (pending !== undefined) {
      remote.push(pending.then((hits) => addSegmentHits(candidates, seg, hits)));
      continue;
    }
    const { filter, excluded } = segmentFilter(seg, o);
    addSegmentHits(candidates, seg, searchSegment(seg.index, query, { k: o.k, exact: o.exact, algorithm: o.algorithm, filter, excluded }).hits);
  }
  await Promise.all(remote);
  return topHits(candidates, query, o);
}
