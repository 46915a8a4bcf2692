import { LiveSegment } from "./live-segment.js";
import type { LiveState } from "./live-state.js";
import type { SegmentBuildService } from "./segment-build-service.js";
import { SegmentInputBuilder } from "./segment-input.js";
import type { SegmentSet } from "./segment-set.js";
import type { WriteLog } from "./write-log.js";
import { WAL_HEADER_BYTES } from "../../storage/wal-format.js";

export interface FlusherHooks {
  /** A background flush ended: its error, or null. */
  onBackgroundResult(error: unknown): void;
  /** After every background flush (merges may be due). */
  afterFlush(): void;
  isClosing(): boolean;
}

/**
 * Turns the memtable into a segment: rotates the log (so the frozen memtable's records are in
 * closed logs), builds the segment off-thread, adds it to the live segments with the deletions
 * that happened meanwhile, and commits through the segment set. Runs when the memtable reaches
 * memtableMaxDocs (in the background), on flush() and on close().
 */
export class Flusher {
  /** The background flush in progress, if any. */
  flushing: Promise<void> | null = null;

  constructor(
    private readonly live: LiveState,
    private readonly log: WriteLog,
    private readonly segments: SegmentSet,
    private readonly builds: SegmentBuildService,
    private readonly memtableMaxDocs: number,
    private readonly hooks: FlusherHooks,
  ) {}

  /** Starts a background flush when the memtable is full and none is running. */
  maybeFlush(): void {
    if (this.live.memtable.size < this.memtableMaxDocs || this.flushing || this.hooks.isClosing()) return;
    this.flushing = this.segments
      .serialized(() => this.flushLocked())
      .then(() => this.hooks.onBackgroundResult(null))
      .catch((e) => this.hooks.onBackgroundResult(e))
      .finally(() => {
        this.flushing = null;
        this.hooks.afterFlush();
      });
  }

  /** Backpressure: writers faster than segment builds wait rather than grow the memtable without bound. */
  async backpressure(): Promise<void> {
    while (this.flushing && this.live.memtable.size >= 2 * this.memtableMaxDocs) await this.flushing;
  }

  /**
   * Flushes the memtable (if it holds anything) and commits; call under the segment set's lock.
   * `retireLog`: also when the memtable is empty, start a new log if the current one holds
   * records (deletes), so that after the commit no log record is older than what comes next. A
   * bulk load needs that: its segments are added without the log, and a replayed delete of an
   * id older than the bulk segment that holds it would delete the loaded document.
   */
  async flushLocked(options: { retireLog?: boolean } = {}): Promise<void> {
    const live = this.live;
    if (live.memtable.size === 0 && options.retireLog === true && this.log.size > WAL_HEADER_BYTES) {
      const { frozen, firstLog } = await this.log.rotate(this.segments.newFileNumber(), live);
      live.unfreeze(frozen);
      if (frozen.size > 0) {
        // A write was applied while the log rotated (a bulk load holds writes back, so this is
        // only a safeguard): keep its log as the memtable's and flush the ordinary way below.
        for (const d of frozen.values()) live.memtable.put(d);
        this.log.memtableFirstLog = firstLog;
      }
    }
    if (live.memtable.size > 0) {
      const { frozen, firstLog } = await this.log.rotate(this.segments.newFileNumber(), live);
      try {
        const docs = [...frozen.values()];
        const input = new SegmentInputBuilder(this.segments.bits, this.segments.vocabSize, { docs: frozen.size, postings: frozen.numPostings });
        for (const d of docs) input.add(d.id, d.terms, d.weights, d.meta, d.length, d.text ?? null, d.dense ?? null);
        const id = this.segments.newFileNumber();
        const built = await this.builds.build(input.finish(), id);
        const seg = LiveSegment.fromSections(id, built.sections, 0, undefined, false);
        seg.commit.checksums = built.checksums;
        // Documents replaced or deleted while the segment was being built.
        docs.forEach((d, i) => {
          if (frozen.get(d.id) !== d) seg.deleteDoc(i);
        });
        seg.commit.sourceLog = firstLog;
        live.segments.push(seg);
      } catch (e) {
        // Keep what the frozen memtable still holds (each the newest version of its id) visible.
        for (const d of frozen.values()) live.memtable.put(d);
        this.log.memtableFirstLog = firstLog;
        throw e;
      } finally {
        live.unfreeze(frozen);
      }
    } else if (this.log.memtableFirstLog < this.log.current) {
      // Nothing of the older logs is in the memtable; their deletions are in the bitsets this
      // commit persists, so they are no longer needed.
      this.log.memtableFirstLog = this.log.current;
    }
    await this.segments.commit(live, this.log);
  }
}
