import { deletionFileName, readDeletions } from "../../storage/deletion-file.js";
import type { FileSystem } from "../../storage/file-system.js";
import { MANIFEST_FILE, readManifest, type Manifest } from "../../storage/manifest.js";
import { readSegmentFile } from "../../storage/segment-file.js";
import type { WalReadResult } from "../../storage/wal-reader.js";
import { parseEntry, segmentFileName, walFileName, type DirectoryEntry } from "./directory-files.js";
import { LiveSegment } from "./live-segment.js";
import { firstDamagedLog, readLog } from "./recovery.js";
import { decodeDelete, decodeUpsertRecord, isUpsertRecord, RECORD_DELETE } from "./wal-records.js";

/** One finding of an integrity check: the file and what is wrong with it (or worth knowing). */
export interface IntegrityFinding {
  file: string;
  what: string;
}

export interface CollectionCheckCounts {
  segments: number;
  deletionFiles: number;
  logs: number;
  logRecords: number;
  documents: number;
  bytes: number;
}

export interface CollectionCheck {
  /** Damage or inconsistency: the collection does not open, or would not hold what was written. */
  problems: IntegrityFinding[];
  /** Harmless: a crash's torn log tail, files a commit superseded (both tidied on open). */
  notes: IntegrityFinding[];
  counts: CollectionCheckCounts;
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Checks a collection directory on disk without changing it (Lucene's CheckIndex, for one
 * collection): the manifest's checksum; every segment file it names (every section checksum,
 * the structure the reader builds, documents, id, bits and vocabulary against the manifest);
 * every deletion file (checksum, document count, deleted count against its bits and the
 * manifest); every log still to be replayed (every record's checksum and payload, damage told
 * from a torn tail as recovery does); and the directory against the manifest (missing files,
 * file numbers at or above nextFileNumber, leftovers).
 *
 * The caller makes sure no one writes meanwhile (the database's lock; an open Collection runs it
 * under its commit lock).
 */
export async function verifyCollectionFiles(fs: FileSystem, dir: string): Promise<CollectionCheck> {
  const problems: IntegrityFinding[] = [];
  const notes: IntegrityFinding[] = [];
  const counts: CollectionCheckCounts = { segments: 0, deletionFiles: 0, logs: 0, logRecords: 0, documents: 0, bytes: 0 };
  const at = (name: string): string => `${dir}/${name}`;
  let manifest: Manifest | null = null;
  try {
    manifest = await readManifest(fs, dir);
    if (manifest === null) problems.push({ file: at(MANIFEST_FILE), what: "missing: the directory holds no committed collection" });
  } catch (e) {
    problems.push({ file: at(MANIFEST_FILE), what: describe(e) });
  }
  const entries = (await fs.readdir(dir)).map(parseEntry).filter((e): e is DirectoryEntry => e !== null);
  const names = new Set(entries.map((e) => e.name));

  if (manifest !== null) {
    const seen = new Set<number>();
    for (const ms of manifest.segments) {
      const file = at(segmentFileName(ms.id));
      if (seen.has(ms.id)) problems.push({ file: at(MANIFEST_FILE), what: `names segment ${ms.id} twice` });
      seen.add(ms.id);
      if (ms.id >= manifest.nextFileNumber) problems.push({ file: at(MANIFEST_FILE), what: `segment ${ms.id} is not below nextFileNumber ${manifest.nextFileNumber}` });
      if (!names.has(segmentFileName(ms.id))) {
        problems.push({ file, what: "named by MANIFEST but missing" });
        continue;
      }
      let seg: LiveSegment;
      try {
        const { sections, bytes } = await readSegmentFile(fs, file);
        counts.bytes += bytes;
        seg = LiveSegment.fromSections(ms.id, sections, bytes, undefined);
        const meta = sections.meta;
        if (meta.segmentId !== undefined && meta.segmentId !== ms.id) problems.push({ file, what: `says it is segment ${String(meta.segmentId)}, but MANIFEST names it ${ms.id}` });
        if (meta["index.bits"] !== manifest.bits) problems.push({ file, what: `has ${String(meta["index.bits"])}-bit impacts, but the collection is ${manifest.bits}-bit` });
        if (meta["index.vocabSize"] !== manifest.vocabSize) problems.push({ file, what: `has vocabulary size ${String(meta["index.vocabSize"])}, but MANIFEST says ${manifest.vocabSize}` });
      } catch (e) {
        problems.push({ file, what: describe(e) });
        continue;
      }
      counts.segments++;
      if (seg.numDocs !== ms.docs) problems.push({ file, what: `holds ${seg.numDocs} documents but MANIFEST says ${ms.docs}` });
      let deleted = 0;
      if (ms.delGen > 0) {
        const dname = deletionFileName(ms.id, ms.delGen);
        if (!names.has(dname)) problems.push({ file: at(dname), what: "named by MANIFEST but missing" });
        else {
          try {
            const d = await readDeletions(fs, at(dname), ms.docs);
            counts.deletionFiles++;
            let set = 0;
            for (let i = 0; i < ms.docs; i++) if ((d.bits[i >> 3]! >> (i & 7)) & 1) set++;
            if (set !== d.deletedCount) problems.push({ file: at(dname), what: `says ${d.deletedCount} documents are deleted, but ${set} bits are set` });
            if (d.deletedCount !== ms.deletedDocs) problems.push({ file: at(dname), what: `holds ${d.deletedCount} deletions but MANIFEST says ${ms.deletedDocs}` });
            deleted = d.deletedCount;
          } catch (e) {
            problems.push({ file: at(dname), what: describe(e) });
          }
        }
      } else if (ms.deletedDocs !== 0) {
        problems.push({ file: at(MANIFEST_FILE), what: `segment ${ms.id} has ${ms.deletedDocs} deletions but no deletion file` });
      }
      counts.documents += ms.docs - deleted;
    }
    for (const e of entries) {
      if (e.kind === "temp") continue;
      const named =
        (e.kind === "segment" && seen.has(e.number)) ||
        (e.kind === "deletions" && manifest.segments.some((s) => s.id === e.number && s.delGen === e.gen)) ||
        (e.kind === "wal" && e.number >= manifest.logNumber);
      if (!named) notes.push({ file: at(e.name), what: "not named by MANIFEST (superseded by a commit or left by a crash; removed when the collection opens)" });
    }
  }

  // Logs: those the manifest says to replay, or every log when the manifest is unreadable.
  const logs = entries
    .filter((e): e is Extract<DirectoryEntry, { kind: "wal" }> => e.kind === "wal" && (manifest === null || e.number >= manifest.logNumber))
    .map((e) => e.number)
    .sort((a, b) => a - b);
  const reads: WalReadResult[] = [];
  for (const n of logs) {
    const file = at(walFileName(n));
    try {
      const r = await readLog(fs, file);
      reads.push(r);
      counts.logs++;
      counts.bytes += r.fileLength;
      counts.logRecords += r.records.length;
      r.records.forEach((rec, i) => {
        try {
          if (isUpsertRecord(rec.type)) decodeUpsertRecord(rec.type, rec.payload);
          else if (rec.type === RECORD_DELETE) decodeDelete(rec.payload);
          else problems.push({ file, what: `record ${i} has unknown type ${rec.type}` });
        } catch (e) {
          problems.push({ file, what: `record ${i}: its checksum is right but its payload does not decode (${describe(e)})` });
        }
      });
    } catch (e) {
      problems.push({ file, what: describe(e) });
      reads.push({ records: [], validLength: 0, fileLength: 0, torn: false, headerValid: false, damage: null });
    }
  }
  const damaged = firstDamagedLog(reads);
  reads.forEach((r, i) => {
    const file = at(walFileName(logs[i]!));
    if (i === damaged) {
      const after = (r.damage?.recordsAfter ?? 0) + reads.slice(i + 1).reduce((a, x) => a + x.records.length + (x.damage?.recordsAfter ?? 0), 0);
      problems.push({
        file,
        what: `damaged at byte offset ${r.validLength}, with ${after} valid record(s) after it (here or in newer logs): the collection refuses to open; \`sparsedb check DIR --repair\` keeps the records before the damage`,
      });
    } else if (damaged < 0 && r.validLength < r.fileLength) {
      notes.push({ file, what: `torn tail at byte offset ${r.validLength} (${r.fileLength - r.validLength} bytes, a crash mid-append; cut off when the collection opens)` });
    }
  });
  return { problems, notes, counts };
}
