import { readDeletions, deletionFileName } from "../../storage/deletion-file.js";
import type { FileSystem } from "../../storage/file-system.js";
import { DirectoryLock } from "../../storage/lock-file.js";
import { readManifest, writeManifest, type Manifest } from "../../storage/manifest.js";
import { readSegmentFile } from "../../storage/segment-file.js";
import { ioError } from "../../storage/storage-error.js";
import { readWal } from "../../storage/wal-reader.js";
import { SparseDbError } from "../errors.js";
import { checkBits } from "../index/quantizer.js";
import { BERT_VOCAB_SIZE } from "../vocabulary.js";
import { parseEntry, segmentFileName, walFileName, type DirectoryEntry } from "./directory-files.js";
import { applyDelete, applyUpsert, type LiveDocuments } from "./apply-writes.js";
import { CorpusStatistics } from "./corpus-statistics.js";
import { LiveSegment } from "./live-segment.js";
import { Memtable } from "./memtable.js";
import { decodeDelete, decodeUpsert, RECORD_DELETE, RECORD_UPSERT, RECORD_UPSERT_V1 } from "./wal-records.js";

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
}

/**
 * Everything Collection.open does before it can accept writes: lock, manifest, segments (every
 * checksum verified), removal of files no manifest names, and replay of the logs the manifest
 * says are not yet in segments. A log is replayed up to its first torn or corrupt record and
 * truncated there.
 */
export async function openCollectionState(
  fs: FileSystem,
  dir: string,
  o: { create: boolean; bits: number; vocabSize: number | undefined },
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
      const { sections, bytes } = await readSegmentFile(fs, path);
      const deletions = ms.delGen > 0 ? { ...(await readDeletions(fs, `${dir}/${deletionFileName(ms.id, ms.delGen)}`, ms.docs)), delGen: ms.delGen } : undefined;
      const seg = LiveSegment.fromSections(ms.id, sections, bytes, deletions);
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
    for (const n of replayedLogs) await replayLog(fs, `${dir}/${walFileName(n)}`, live);
    return { lock, manifest, nextFileNumber, segments, memtable: live.memtable, statistics, replayedLogs };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function replayLog(fs: FileSystem, path: string, live: LiveDocuments): Promise<void> {
  const r = await readWal(fs, path);
  for (const rec of r.records) {
    if (rec.type === RECORD_UPSERT || rec.type === RECORD_UPSERT_V1) {
      for (const d of decodeUpsert(rec.payload, rec.type === RECORD_UPSERT)) applyUpsert(live, d);
    } else if (rec.type === RECORD_DELETE) {
      for (const id of decodeDelete(rec.payload)) applyDelete(live, id);
    } else {
      throw new SparseDbError("CORRUPTION", `${path}: unknown log record type ${rec.type}; written by a newer sparsedb?`);
    }
  }
  if (r.torn) {
    // Cut the torn tail so that a later append can never follow garbage.
    try {
      const f = await fs.open(path, "update");
      try {
        await f.truncate(r.validLength);
        await f.sync();
      } finally {
        await f.close();
      }
    } catch (e) {
      throw ioError(`truncating the torn tail of ${path}`, e);
    }
  }
}
