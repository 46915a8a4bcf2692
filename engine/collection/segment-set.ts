import { deletionFileName, writeDeletions } from "../../storage/deletion-file.js";
import type { FileSystem } from "../../storage/file-system.js";
import { writeManifest, type Manifest } from "../../storage/manifest.js";
import { writeSegmentFile } from "../../storage/segment-file.js";
import { segmentFileName, walFileName } from "./directory-files.js";
import type { LiveSegment } from "./live-segment.js";
import type { LiveState } from "./live-state.js";
import type { WriteLog } from "./write-log.js";

/**
 * The segment set: the one writer of segment files, deletion files and the manifest (as
 * LevelDB's VersionSet or tantivy's SegmentUpdater). It hands out file numbers, commits the
 * live segments with a new manifest (the commit point), and afterwards removes what the commit
 * superseded: older deletion files, logs whose records are all in committed files, and merged-
 * away segments no snapshot uses. Commits are serialized (`serialized`); flushes, merges, verify
 * and close run their state changes through it.
 */
export class SegmentSet {
  /** Segments merged away, kept until no snapshot uses them and the manifest no longer names them. */
  private retired: LiveSegment[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private manifest: Manifest,
    private nextFileNumber: number,
  ) {}

  get bits(): number {
    return this.manifest.bits;
  }

  get vocabSize(): number {
    return this.manifest.vocabSize;
  }

  get generation(): number {
    return this.manifest.generation;
  }

  /** A file number no file of the collection has used (segments and logs share the sequence). */
  newFileNumber(): number {
    return this.nextFileNumber++;
  }

  /** Runs `fn` after every commit-changing operation queued before it (the commit lock). */
  serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Writes a merge's new segment file before it is swapped in (outside the commit lock). */
  async writeSegment(seg: LiveSegment): Promise<void> {
    seg.commit.fileBytes = await writeSegmentFile(this.fs, `${this.dir}/${segmentFileName(seg.id)}`, seg.toSections(), seg.commit.checksums);
    seg.commit.persisted = true;
    seg.commit.checksums = undefined;
  }

  /** Segments a merge replaced: their files go once no snapshot and no manifest needs them. */
  retire(sources: LiveSegment[]): void {
    for (const src of sources) {
      src.obsolete = true;
      src.refs--; // the live view's reference
      this.retired.push(src);
    }
  }

  /**
   * Persists the current state (call under `serialized`): unwritten segment files, changed
   * deletion bitsets, then the manifest (the commit point). Afterwards removes logs, bitsets and
   * segments it superseded.
   */
  async commit(live: LiveState, log: WriteLog): Promise<void> {
    await log.syncCurrent(); // every deletion in memory has its log record on disk first
    for (const s of live.segments) {
      if (!s.commit.persisted) await this.writeSegment(s);
    }
    const written: { seg: LiveSegment; gen: number; version: number; count: number }[] = [];
    for (const s of live.segments) {
      if (s.deleteVersion === s.commit.persistedDeleteVersion) continue;
      const gen = s.commit.delGen + 1, version = s.deleteVersion, count = s.deletedCount;
      await writeDeletions(this.fs, `${this.dir}/${deletionFileName(s.id, gen)}`, Uint8Array.prototype.slice.call(s.deleted), s.numDocs, count);
      written.push({ seg: s, gen, version, count });
    }
    let logNumber = log.oldestNeeded;
    for (const s of live.segments) if (s.commit.sourceLog !== null && !s.commit.persisted) logNumber = Math.min(logNumber, s.commit.sourceLog);
    const segments = live.segments.map((s) => {
      const w = written.find((x) => x.seg === s);
      return { id: s.id, docs: s.numDocs, delGen: w ? w.gen : s.commit.delGen, deletedDocs: w ? w.count : s.commit.committedDeletedCount };
    });
    const next: Manifest = {
      generation: this.manifest.generation + 1,
      logNumber,
      nextFileNumber: this.nextFileNumber,
      bits: this.manifest.bits,
      vocabSize: this.manifest.vocabSize,
      segments,
    };
    await writeManifest(this.fs, this.dir, next);
    this.manifest = next;
    // Committed: now clean up what it superseded (best effort; open() removes leftovers).
    const garbage: string[] = [];
    for (const w of written) {
      if (w.seg.commit.delGen > 0) garbage.push(deletionFileName(w.seg.id, w.seg.commit.delGen));
      w.seg.commit.delGen = w.gen;
      w.seg.commit.persistedDeleteVersion = w.version;
      w.seg.commit.committedDeletedCount = w.count;
    }
    for (const s of live.segments) s.commit.sourceLog = null;
    for (const n of log.liveLogs.filter((x) => x < logNumber)) garbage.push(walFileName(n));
    log.liveLogs = log.liveLogs.filter((x) => x >= logNumber);
    for (const g of garbage) await this.fs.unlink(`${this.dir}/${g}`).catch(() => undefined);
    await this.removeRetiredFiles(this.retired.filter((s) => s.refs === 0));
  }

  /** Deletes the files of retired segments in `freed` that nothing uses any more. */
  async removeRetiredFiles(freed: LiveSegment[]): Promise<void> {
    for (const s of freed) {
      if (!s.obsolete || s.refs > 0 || this.manifest.segments.some((m) => m.id === s.id)) continue;
      this.retired = this.retired.filter((r) => r !== s);
      await this.fs.unlink(`${this.dir}/${segmentFileName(s.id)}`).catch(() => undefined);
      if (s.commit.delGen > 0) await this.fs.unlink(`${this.dir}/${deletionFileName(s.id, s.commit.delGen)}`).catch(() => undefined);
    }
  }

  /** removeRetiredFiles for a released snapshot (errors are left for open() to clean up). */
  readonly onSnapshotFreed = (freed: LiveSegment[]): void => void this.removeRetiredFiles(freed).catch(() => undefined);
}
