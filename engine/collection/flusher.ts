import { LiveSegment } from "./live-segment.js";
import type { LiveState } from "./live-state.js";
import type { SegmentBuildService } from "./segment-build-service.js";
import { SegmentInputBuilder } from "./segment-input.js";
import type { SegmentSet } from "./segment-set.js";
import type { WriteLog } from "./write-log.js";
import type { Memtable } from "./memtable.js";
import type { StoredDoc } from "./wal-records.js";
import { WAL_HEADER_BYTES } from "../../storage/wal-format.js";

export interface FlusherHooks {
  /** A background flush ended: its error, or null. */
  onBackgroundResult(error: unknown): void;
  /** After every background flush (merges may be due). */
  afterFlush(): void;
  isClosing(): boolean;
}

/** Background flushes building at once: one per segment builder (segment-build-service.ts). */
const MAX_BACKGROUND_FLUSHES = 2;

/**
 * Turns the memtable into a segment: rotates the log (so the frozen memtable's records are in
 * closed logs), builds the segment off-thread, adds it to the live segments with the deletions
 * that happened meanwhile, and commits through the segment set. Runs when the memtable reaches
 * memtableMaxDocs (in the background), on flush() and on close().
 *
 * A background flush holds the commit lock only to rotate and, after the build and the write
 * of its segment file, to add and commit the segment, so up to MAX_BACKGROUND_FLUSHES memtables build at once (on both
 * builders) and the next memtable can freeze while the previous one builds or is written. Until
 * its segment is committed, a frozen memtable's logs are pinned (WriteLog.frozenFirstLogs), so
 * a commit made meanwhile, in whatever order, removes none of them.
 */
export class Flusher {
  /** Background flushes in progress, each from rotation to commit. */
  private readonly inFlight = new Set<Promise<void>>();
  /** A background flush is waiting for, or in, its rotation. */
  private freezing = false;
  /** Resolved (and replaced) whenever a memtable freezes or a background flush ends. */
  private changed = deferred();

  constructor(
    private readonly live: LiveState,
    private readonly log: WriteLog,
    private readonly segments: SegmentSet,
    private readonly builds: SegmentBuildService,
    private readonly memtableMaxDocs: number,
    private readonly hooks: FlusherHooks,
  ) {}

  /** Settles when every background flush in progress has ended (null: none is running). */
  get flushing(): Promise<void> | null {
    return this.inFlight.size === 0 ? null : Promise.all(this.inFlight).then(() => undefined);
  }

  /** Starts a background flush when the memtable is full, no other is freezing one, and a builder is free. */
  maybeFlush(): void {
    if (this.live.memtable.size < this.memtableMaxDocs || this.freezing || this.inFlight.size >= MAX_BACKGROUND_FLUSHES || this.hooks.isClosing()) return;
    this.freezing = true;
    const run: Promise<void> = this.background()
      .then(() => this.hooks.onBackgroundResult(null))
      .catch((e) => this.hooks.onBackgroundResult(e))
      .finally(() => {
        this.inFlight.delete(run);
        this.signal();
        this.hooks.afterFlush();
        this.maybeFlush(); // the memtable may have filled meanwhile
      });
    this.inFlight.add(run);
  }

  /**
   * Backpressure: writers faster than segment builds wait rather than grow the memtable without
   * bound: while a flush is in progress and the memtable holds twice its limit, until it freezes
   * (a background flush takes it) or a flush ends.
   */
  async backpressure(): Promise<void> {
    while (this.inFlight.size > 0 && this.live.memtable.size >= 2 * this.memtableMaxDocs) {
      this.maybeFlush();
      await this.changed.promise;
    }
  }

  private signal(): void {
    const c = this.changed;
    this.changed = deferred();
    c.resolve();
  }

  /** One background flush: rotate (under the lock), build (off it), add and commit (under it). */
  private async background(): Promise<void> {
    let rotated: { frozen: Memtable; firstLog: number };
    try {
      rotated = await this.segments.serialized(async () => {
        const r = await this.log.rotate(this.segments.newFileNumber(), this.live);
        this.log.frozenFirstLogs.add(r.firstLog);
        return r;
      });
    } finally {
      this.freezing = false;
    }
    this.signal();
    const { frozen, firstLog } = rotated;
    const docs = [...frozen.values()];
    let seg: LiveSegment;
    try {
      seg = await this.buildFrozen(frozen, docs);
      // Written and fsynced off the lock too (as a merge's): a crash before the commit leaves a
      // file no manifest names, which open() removes; deletions meanwhile go to its bitset.
      await this.segments.writeSegment(seg);
    } catch (e) {
      this.restore(frozen, firstLog);
      throw e;
    }
    await this.segments.serialized(async () => {
      this.addSegment(seg, frozen, docs, firstLog);
      await this.segments.commit(this.live, this.log);
    });
  }

  /** Builds a frozen memtable's documents (`docs`, in its order) into a segment, not yet live. */
  private async buildFrozen(frozen: Memtable, docs: StoredDoc[]): Promise<LiveSegment> {
    const input = new SegmentInputBuilder(this.segments.bits, this.segments.vocabSize, { docs: frozen.size, postings: frozen.numPostings });
    for (const d of docs) input.add(d.id, d.terms, d.weights, d.meta, d.length, d.text ?? null, d.dense ?? null);
    const id = this.segments.newFileNumber();
    const built = await this.builds.build(input.finish(), id);
    const seg = LiveSegment.fromSections(id, built.sections, 0, undefined, false);
    seg.commit.checksums = built.checksums;
    return seg;
  }

  /** The built segment replaces its frozen memtable in the live state, in one step (readers see either). */
  private addSegment(seg: LiveSegment, frozen: Memtable, docs: StoredDoc[], firstLog: number): void {
    // Documents replaced or deleted while the segment was being built (a frozen memtable only
    // loses documents, so when its size is unchanged none was: skip a lookup per document).
    if (frozen.size !== docs.length) {
      docs.forEach((d, i) => {
        if (frozen.get(d.id) !== d) seg.deleteDoc(i);
      });
    }
    seg.commit.sourceLog = firstLog;
    this.live.segments.push(seg);
    this.live.unfreeze(frozen);
    this.log.frozenFirstLogs.delete(firstLog); // the segment's sourceLog keeps the log until it is written
  }

  /** After a failed build: what the frozen memtable still holds (each the newest version of its id) is visible in the memtable again. */
  private restore(frozen: Memtable, firstLog: number): void {
    for (const d of frozen.values()) this.live.memtable.put(d);
    this.log.memtableFirstLog = Math.min(this.log.memtableFirstLog, firstLog);
    this.log.frozenFirstLogs.delete(firstLog);
    this.live.unfreeze(frozen);
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
      const docs = [...frozen.values()];
      let seg: LiveSegment;
      try {
        seg = await this.buildFrozen(frozen, docs);
      } catch (e) {
        this.restore(frozen, firstLog);
        throw e;
      }
      this.addSegment(seg, frozen, docs, firstLog);
    } else if (this.log.memtableFirstLog < this.log.current) {
      // Nothing of the older logs is in the memtable; their deletions are in the bitsets this
      // commit persists, so they are no longer needed.
      this.log.memtableFirstLog = this.log.current;
    }
    await this.segments.commit(live, this.log);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
