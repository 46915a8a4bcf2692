import { readDeletions, deletionFileName } from "../../storage/deletion-file.js";
import type { FileSystem } from "../../storage/file-system.js";
import { DirectoryLock } from "../../storage/lock-file.js";
import { readManifest, writeManifest, type Manifest } from "../../storage/manifest.js";
import { readSegmentFile } from "../../storage/segment-file.js";
import { kernelFilePlacement } from "../search/kernel-memory.js";
import { ioError } from "../../storage/storage-error.js";
import { readWal, type WalReadResult } from "../../storage/wal-reader.js";
import { WAL_HEADER_BYTES } from "../../storage/wal-format.js";
import { SparseDbError } from "../errors.js";
import { checkBits } from "../index/quantizer.js";
import { BERT_VOCAB_SIZE } from "../vocabulary.js";
import { parseEntry, segmentFileName, walFileName, type DirectoryEntry } from "./directory-files.js";
import { applyDelete, applyUpsert, type LiveDocuments } from "./apply-writes.js";
import { CorpusStatistics } from "./corpus-statistics.js";
import { LiveSegment } from "./live-segment.js";
import { Memtable } from "./memtable.js";
import { decodeDelete, decodeUpsertRecord, isUpsertRecord, RECORD_DELETE, RECORD_UPSERT, RECORD_UPSERT_EXTRAS, RECORD_UPSERT_TEXT, RECORD_UPSERT_V1 } from "./wal-records.js";

export interface OpenedState {
  lock: DirectoryLock;
  manifest: Manifest;
  /** Above every file number in the manifest and the directory. */
  nextFileNumber: number;
  segments: LiveSegment[];
  memtable: Memtable;
  /** The live documents' corpus statistics: the segments' counted live documents plus the replay. */
  statistics: CorpusStatistics;
  /** Logs replayed (kept until a commit supersedes them), ascending. */
  replayedLogs: number[];
  /** What a repair (repairWal) dropped; empty when the logs were sound. */
  walRepairs: WalRepair[];
}

/** One log file a repair cut short or removed. */
export interface WalRepair {
  file: string;
  /** Byte offset the file was cut at (where the damage starts); 0 for a removed file. */
  offset: number;
  /** Valid records after the damage that were dropped (the damaged record itself not counted). */
  droppedRecords: number;
  droppedBytes: number;
}

/**
 * Everything Collection.open does before it can accept writes: lock, manifest, segments (every
 * checksum verified), removal of files no manifest names, and replay of the logs the manifest
 * says are not yet in segments. A torn tail (the last bytes of the log history, with no valid
 * record after them) is truncated; damage followed by valid records is CORRUPTION, unless
 * `repairWal` asks to keep the valid prefix and drop the rest (see replayLogs).
 */
export async function openCollectionState(
  fs: FileSystem,
  dir: string,
  o: { create: boolean; bits: number; vocabSize: number | undefined; repairWal?: boolean },
): Promise<OpenedState> {
  const st = await fs.stat(dir);
  if (!st) {
    if (!o.create) {
      throw new SparseDbError("NOT_FOUND", `collection directory ${dir} does not exist; pass create: true to make a new collection there`);
    }
    try {
      await fs.mkdir(dir);
    } catch (e) {
      throw ioError(`creating collection directory ${dir}`, e);
    }
  } else if (!st.isDirectory) {
    throw new SparseDbError("INVALID_ARGUMENT", `${dir} is a file, not a collection directory`);
  }
  const lock = await DirectoryLock.acquire(fs, dir);
  try {
    let manifest = await readManifest(fs, dir);
    if (!manifest) {
      if (!o.create) {
        throw new SparseDbError("NOT_FOUND", `${dir} holds no sparsedb collection (no MANIFEST); pass create: true to make one`);
      }
      checkBits(o.bits);
      manifest = { generation: 1, logNumber: 1, nextFileNumber: 1, bits: o.bits, vocabSize: o.vocabSize ?? BERT_VOCAB_SIZE, segments: [] };
      await writeManifest(fs, dir, manifest);
    }
    if (o.vocabSize !== undefined && o.vocabSize !== manifest.vocabSize) {
      throw new SparseDbError(
        "INVALID_ARGUMENT",
        `the encoder's vocabulary has ${o.vocabSize} terms but collection ${dir} was built with ${manifest.vocabSize}; use the same encoder`,
      );
    }
    const entries = (await fs.readdir(dir)).map(parseEntry).filter((e): e is DirectoryEntry => e !== null);
    let nextFileNumber = manifest.nextFileNumber;
    for (const e of entries) if (e.kind !== "temp") nextFileNumber = Math.max(nextFileNumber, e.number + 1);

    const segments: LiveSegment[] = [];
    for (const ms of manifest.segments) {
      const path = `${dir}/${segmentFileName(ms.id)}`;
      // Read straight into the memory of the segment's search kernel (engine/search/kernel-memory.ts).
      const placement = kernelFilePlacement();
      const { sections, bytes } = await readSegmentFile(fs, path, placement.into);
      const deletions = ms.delGen > 0 ? { ...(await readDeletions(fs, `${dir}/${deletionFileName(ms.id, ms.delGen)}`, ms.docs)), delGen: ms.delGen } : undefined;
      const seg = LiveSegment.fromSections(ms.id, sections, bytes, deletions);
      placement.attach(seg.index);
      if (seg.numDocs !== ms.docs) {
        throw new SparseDbError("CORRUPTION", `${path} holds ${seg.numDocs} documents but MANIFEST says ${ms.docs}; the file is damaged`);
      }
      segments.push(seg);
    }

    // Files no manifest names: a crash between writing and committing, or after committing and
    // before removing. None holds anything the manifest and the replayed logs do not.
    for (const e of entries) {
      const keep =
        (e.kind === "segment" && manifest.segments.some((s) => s.id === e.number)) ||
        (e.kind === "deletions" && manifest.segments.some((s) => s.id === e.number && s.delGen === e.gen)) ||
        (e.kind === "wal" && e.number >= manifest.logNumber);
      if (!keep) await fs.unlink(`${dir}/${e.name}`).catch(() => undefined);
    }

    const statistics = new CorpusStatistics(manifest.vocabSize);
    for (const seg of segments) seg.countLive(statistics);
    const live: LiveDocuments = { memtable: new Memtable(), flushingMemtables: [], segments, statistics };
    const replayedLogs = entries
      .filter((e) => e.kind === "wal" && e.number >= manifest!.logNumber)
      .map((e) => (e as { number: number }).number)
      .sort((a, b) => a - b);
    const walRepairs = await replayLogs(fs, dir, replayedLogs, live, o.repairWal === true);
    return { lock, manifest, nextFileNumber, segments, memtable: live.memtable, statistics, replayedLogs, walRepairs };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/** Reads a collection log (the record types it may hold are the Collection's). */
export function readLog(fs: FileSystem, path: string): Promise<WalReadResult> {
  return readWal(fs, path, { recordTypes: LOG_RECORD_TYPES });
}

const LOG_RECORD_TYPES: ReadonlySet<number> = new Set([RECORD_UPSERT, RECORD_UPSERT_V1, RECORD_UPSERT_TEXT, RECORD_UPSERT_EXTRAS, RECORD_DELETE]);

/**
 * The index of the first damaged log of an ascending series, or -1: a log whose bad bytes have a
 * valid record after them, or a torn log followed by a newer log that holds records. Anything
 * else bad is a torn tail.
 */
export function firstDamagedLog(reads: WalReadResult[]): number {
  const hasRecords = (r: WalReadResult): boolean => r.records.length > 0 || r.damage !== null;
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    if (r.damage !== null || (r.torn && reads.slice(i + 1).some(hasRecords))) return i;
  }
  return -1;
}

/**
 * Replays the logs in order. Where the log history first goes bad decides what it is: bytes that
 * no valid record follows, in this log or any newer one, are a torn tail (nothing there was
 * acknowledged) and are cut off; a bad record with a valid record after it (or a bad older log
 * whose successors hold records) is damage. Damage refuses the open with CORRUPTION naming the
 * file and offset; with `repair` the valid prefix is kept, the damaged log is cut at the damage,
 * newer logs are removed, and what was dropped is returned. Removes `logs` entries it deletes.
 */
async function replayLogs(fs: FileSystem, dir: string, logs: number[], live: LiveDocuments, repair: boolean): Promise<WalRepair[]> {
  const reads: WalReadResult[] = [];
  for (const n of logs) reads.push(await readLog(fs, `${dir}/${walFileName(n)}`));
  const damaged = firstDamagedLog(reads);
  const repairs: WalRepair[] = [];
  if (damaged >= 0) {
    const r = reads[damaged]!;
    const path = `${dir}/${walFileName(logs[damaged]!)}`;
    const later = reads.slice(damaged + 1);
    const droppedRecords = (r.damage?.recordsAfter ?? 0) + later.reduce((a, x) => a + x.records.length + (x.damage?.recordsAfter ?? 0), 0);
    const droppedBytes = r.fileLength - r.validLength + later.reduce((a, x) => a + Math.max(0, x.fileLength - WAL_HEADER_BYTES), 0);
    if (!repair) {
      const where = r.headerValid ? `the log record at byte offset ${r.validLength}` : "the file header (byte offset 0)";
      throw new SparseDbError(
        "CORRUPTION",
        `write-ahead log ${path} is damaged: ${where} fails its checksum, and ${droppedRecords} valid record(s) ` +
          `(${droppedBytes} bytes, in this log${later.length > 0 ? ` and ${later.length} newer one(s)` : ""}) follow it, so this is not a crash's torn tail ` +
          `and acknowledged writes may be in them. Restore the collection from a backup, or repair it, keeping only the records before the damage: ` +
          `open with repairWal: true (Database.open(dir, {repair: true}), or \`sparsedb check DIR --repair\`)`,
      );
    }
    repairs.push({ file: path, offset: r.validLength, droppedRecords: r.damage?.recordsAfter ?? 0, droppedBytes: r.fileLength - r.validLength });
    later.forEach((x, j) => {
      repairs.push({ file: `${dir}/${walFileName(logs[damaged + 1 + j]!)}`, offset: 0, droppedRecords: x.records.length + (x.damage?.recordsAfter ?? 0), droppedBytes: x.fileLength });
    });
  }
  const replayCount = damaged >= 0 ? damaged + 1 : reads.length;
  for (let i = 0; i < replayCount; i++) {
    const r = reads[i]!;
    const path = `${dir}/${walFileName(logs[i]!)}`;
    applyRecords(path, r, live);
    // Cut the torn tail (or, in a repair, the damage) so that a later append can never follow garbage.
    if (r.validLength < r.fileLength) await truncateLog(fs, path, r.validLength);
  }
  if (damaged >= 0) {
    for (const n of logs.splice(damaged + 1)) {
      try {
        await fs.unlink(`${dir}/${walFileName(n)}`);
      } catch (e) {
        throw ioError(`removing write-ahead log ${dir}/${walFileName(n)} during repair`, e);
      }
    }
    await fs.syncDir(dir).catch((e) => {
      throw ioError(`syncing ${dir} after a log repair`, e);
    });
  }
  return repairs;
}

export function applyRecords(path: string, r: WalReadResult, live: LiveDocuments): void {
  for (const rec of r.records) {
    if (isUpsertRecord(rec.type)) {
      for (const d of decodeUpsertRecord(rec.type, rec.payload)) applyUpsert(live, d);
    } else if (rec.type === RECORD_DELETE) {
      for (const id of decodeDelete(rec.payload)) applyDelete(live, id);
    } else {
      throw new SparseDbError("CORRUPTION", `${path}: unknown log record type ${rec.type}; written by a newer sparsedb?`);
    }
  }
}

async function truncateLog(fs: FileSystem, path: string, length: number): Promise<void> {
  try {
    const f = await fs.open(path, "update");
    try {
      await f.truncate(length);
      await f.sync();
    } finally {
      await f.close();
    }
  } catch (e) {
    throw ioError(`truncating the torn tail of ${path}`, e);
  }
}
