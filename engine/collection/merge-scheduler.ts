import { LiveSegment } from "./live-segment.js";
import type { LiveState } from "./live-state.js";
import { pickMerge, type MergePolicyOptions } from "./merge-policy.js";
import type { SegmentBuildService } from "./segment-build-service.js";
import { mergeSegments } from "./segment-merger.js";
import type { SegmentSet } from "./segment-set.js";
import { Snapshot } from "./snapshot.js";
import type { WriteLog } from "./write-log.js";

export interface MergeHooks {
  onBackgroundError(error: unknown): void;
  hasBackgroundError(): boolean;
  isClosing(): boolean;
  isClosed(): boolean;
}

/**
 * Background merges: after a flush (or at open) picks segments by the tiered merge policy,
 * merges them off the commit lock while reads and writes go on, then swaps the result in under
 * it, carrying over deletions that happened during the merge. One merge at a time.
 */
export class MergeScheduler {
  /** The merge in progress, if any. */
  merging: Promise<void> | null = null;

  constructor(
    private readonly live: LiveState,
    private readonly log: WriteLog,
    private readonly segments: SegmentSet,
    private readonly builds: SegmentBuildService,
    private readonly policy: MergePolicyOptions,
    private readonly autoMerge: boolean,
    private readonly hooks: MergeHooks,
  ) {}

  /** Starts a merge if the policy picks one and none is running. */
  schedule(): void {
    if (!this.autoMerge || this.merging || this.hooks.isClosing() || this.hooks.isClosed()) return;
    const pick = pickMerge(
      this.live.segments.filter((s) => s.commit.persisted),
      this.policy,
    );
    if (!pick) return;
    this.merging = this.run(pick)
      .catch((e) => this.hooks.onBackgroundError(e))
      .finally(() => {
        this.merging = null;
        if (!this.hooks.hasBackgroundError()) this.schedule();
      });
  }

  /** Merges every segment into one (reclaiming all deletions); waits for it. */
  async forceMerge(): Promise<void> {
    while (this.merging) await this.merging;
    const segs = this.live.segments;
    if (segs.length > 1 || segs.some((s) => s.deletedCount > 0)) {
      this.merging = this.run(segs.filter((s) => s.commit.persisted)).finally(() => (this.merging = null));
      await this.merging;
    }
  }

  private async run(sources: LiveSegment[]): Promise<void> {
    if (sources.length === 0) return;
    const snap = new Snapshot([], sources, this.segments.onSnapshotFreed);
    try {
      const id = this.segments.newFileNumber();
      const result = await mergeSegments(sources, this.segments.bits, this.segments.vocabSize, () => this.hooks.isClosing());
      if (!result || this.hooks.isClosing()) return;
      const docs = result.input.ids.length;
      const built = docs > 0 ? await this.builds.build(result.input, id) : null;
      const merged = built ? LiveSegment.fromSections(id, built.sections, 0, undefined, false) : null;
      if (merged) {
        merged.commit.checksums = built!.checksums;
        await this.segments.writeSegment(merged);
      }
      await this.segments.serialized(async () => {
        if (this.hooks.isClosed()) return;
        sources.forEach((src, i) => {
          if (src.deleteVersion === result.readVersions[i]) return;
          const map = result.docMaps[i]!;
          for (let d = 0; d < src.numDocs; d++) if (map[d]! >= 0 && src.isDeleted(d)) merged!.deleteDoc(map[d]!);
        });
        const at = this.live.segments.indexOf(sources[0]!);
        this.live.segments = this.live.segments.filter((s) => !sources.includes(s));
        if (merged) this.live.segments.splice(Math.min(at, this.live.segments.length), 0, merged);
        this.segments.retire(sources);
        await this.segments.commit(this.live, this.log);
      });
    } finally {
      snap.release();
    }
  }
}
