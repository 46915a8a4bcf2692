import type { LiveSegment } from "./live-segment.js";

export interface MergePolicyOptions {
  /** Segments of one size tier merged together once this many exist. */
  mergeFactor: number;
  /** Tier 0 holds segments up to this many live docs. */
  floorDocs: number;
  /** Never produce a merged segment above this many docs (bounds a merge's memory). */
  maxMergedDocs: number;
  /**
   * Nor above this many postings: a segment's search kernel holds its forward index and range
   * layout in one WebAssembly memory, at most 4 GiB on Node 20 (about 8.5 bytes per posting plus
   * 4 per doc; see engine/search/range-search.ts), so 300M postings keep it near 2.6 GiB.
   */
  maxMergedPostings: number;
  /** Rewrite a segment alone once this share of its docs is deleted. */
  reclaimDeletedRatio: number;
}

export const DEFAULT_MERGE_POLICY: MergePolicyOptions = {
  mergeFactor: 8,
  floorDocs: 10_000,
  maxMergedDocs: 2_000_000,
  maxMergedPostings: 300_000_000,
  reclaimDeletedRatio: 0.3,
};

/**
 * Tiered merging (Lucene's TieredMergePolicy, simplified): segments fall into tiers by live size
 * (tier t holds up to floorDocs * mergeFactor^t docs); when a tier holds mergeFactor segments,
 * its smallest mergeFactor merge into one of the next tier. So every document is rewritten about
 * log_mergeFactor(N / floorDocs) times in its life. A segment with many deletions is rewritten on
 * its own to reclaim the space. Returns the segments to merge, or null.
 */
export function pickMerge(segments: LiveSegment[], o: MergePolicyOptions = DEFAULT_MERGE_POLICY): LiveSegment[] | null {
  const tiers = new Map<number, LiveSegment[]>();
  for (const s of segments) {
    const live = Math.max(s.liveDocs, 1);
    const tier = live <= o.floorDocs ? 0 : Math.ceil(Math.log(live / o.floorDocs) / Math.log(o.mergeFactor));
    (tiers.get(tier) ?? tiers.set(tier, []).get(tier)!).push(s);
  }
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const group = tiers.get(tier)!.sort((a, b) => a.liveDocs - b.liveDocs);
    if (group.length < o.mergeFactor) continue;
    const pick: LiveSegment[] = [];
    let docs = 0, postings = 0;
    for (const s of group) {
      // Deleted documents' postings are dropped by the merge: count live ones, pro rata.
      const live = s.numDocs > 0 ? (s.index.numPostings * s.liveDocs) / s.numDocs : 0;
      if (pick.length === o.mergeFactor || docs + s.liveDocs > o.maxMergedDocs || postings + live > o.maxMergedPostings) break;
      pick.push(s);
      docs += s.liveDocs;
      postings += live;
    }
    if (pick.length >= 2) return pick;
  }
  const wasteful = segments.find((s) => s.numDocs > 0 && s.deletedCount / s.numDocs >= o.reclaimDeletedRatio);
  return wasteful ? [wasteful] : null;
}
