import type { LiveSegment } from "./live-segment.js";
import type { Memtable } from "./memtable.js";

/**
 * What one reader sees: the memtable and the segment list at the moment it was taken. Taking a
 * snapshot adds a reference to each segment; a merge that replaces them leaves the files in place
 * until every snapshot holding them is released.
 *
 * Deletion bitsets and the memtable are shared, not copied: Collection.search runs synchronously
 * from snapshot to results, so no write interleaves with a search; a reader that awaits while
 * holding a snapshot (a merge) sees later deletions, which only ever remove documents.
 */
export class Snapshot {
  private released = false;

  constructor(
    readonly memtables: readonly Memtable[],
    readonly segments: readonly LiveSegment[],
    private readonly onRelease: (freed: LiveSegment[]) => void,
  ) {
    for (const s of segments) s.refs++;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const freed: LiveSegment[] = [];
    for (const s of this.segments) if (--s.refs === 0) freed.push(s);
    if (freed.length) this.onRelease(freed);
  }
}
