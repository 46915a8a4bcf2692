import { describe, expect, it } from "vitest";
import type { LiveSegment } from "../../engine/collection/live-segment.js";
import { DEFAULT_MERGE_POLICY, pickMerge } from "../../engine/collection/merge-policy.js";

/** The few fields the policy reads. */
const seg = (docs: number, postings: number, deleted = 0) =>
  ({ numDocs: docs, liveDocs: docs - deleted, deletedCount: deleted, index: { numPostings: postings } }) as unknown as LiveSegment;

describe("merge policy", () => {
  it("merges a full tier, smallest first", () => {
    const segs = Array.from({ length: 8 }, (_, i) => seg(1000 + i, 120_000));
    expect(pickMerge(segs)).toHaveLength(8);
    expect(pickMerge(segs.slice(0, 7))).toBeNull();
  });

  it("never builds a segment past the postings cap (the search kernel's 4 GiB memory)", () => {
    // 8 segments of 200k docs with 300 postings each: 60M postings apiece, so only 5 fit in 300M.
    const segs = Array.from({ length: 8 }, () => seg(200_000, 60_000_000));
    const pick = pickMerge(segs, { ...DEFAULT_MERGE_POLICY, floorDocs: 10_000 });
    expect(pick).not.toBeNull();
    const postings = pick!.reduce((n, s) => n + s.index.numPostings, 0);
    expect(postings).toBeLessThanOrEqual(DEFAULT_MERGE_POLICY.maxMergedPostings);
    expect(pick).toHaveLength(5);
  });

  it("counts only live documents' postings against the cap", () => {
    const segs = Array.from({ length: 8 }, () => seg(200_000, 60_000_000, 100_000));
    expect(pickMerge(segs)).toHaveLength(8);
  });

  it("rewrites a segment alone once 30% of it is deleted", () => {
    expect(pickMerge([seg(1000, 1000, 400)])).toHaveLength(1);
    expect(pickMerge([seg(1000, 1000, 100)])).toBeNull();
  });
});
