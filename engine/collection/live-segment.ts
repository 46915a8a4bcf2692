import type { Sections } from "../../storage/segment-file.js";
import { idSections } from "./build-sections.js";
import { idHash, lookupId } from "./id-hash.js";
import { unpackValue } from "../../storage/msgpack.js";
import { SparseDbError } from "../errors.js";
import { SegmentIndex } from "../index/segment-index.js";
import { NO_LENGTH, type CorpusStatistics } from "./corpus-statistics.js";

/**
 * One immutable segment as the Collection holds it: the searchable index, the external-id table,
 * per-document metadata, and the mutable deletion bitset (the one part that changes; it is
 * persisted as a separate file per generation at each commit).
 *
 * Lifetime: `refs` counts the collection's current view (1 while the segment is live) plus every
 * snapshot using it. The file is removed only once the segment has left the view, refs is 0, and
 * a manifest without it is committed.
 */
export class LiveSegment {
  readonly id: number;
  readonly index: SegmentIndex;
  /** All ids concatenated; id d is joinedIds[idEnds[d-1] .. idEnds[d]). */
  private readonly joinedIds: string;
  private readonly idEnds: Uint32Array;
  private readonly idTable: Uint32Array;
  private readonly metaBlob: Uint8Array;
  private readonly metaEnds: Uint32Array;
  /** Per document its corpus-statistics length (NO_LENGTH: none); null when no document has one. */
  private readonly lengths: Uint32Array | null;
  readonly deleted: Uint8Array;
  deletedCount: number;
  /** Bumped by every deletion; compared with persistedDeleteVersion to know what to write. */
  deleteVersion = 0;
  persistedDeleteVersion = 0;
  /** deletedCount as of the committed deletion file. */
  committedDeletedCount: number;
  /** Generation of the committed deletion file (0: none). */
  delGen: number;
  /** Whether the segment file is on disk (fsynced); a flushed-but-unwritten segment is not. */
  persisted: boolean;
  /** For an unpersisted segment made by a flush: the log holding its documents. */
  sourceLog: number | null = null;
  fileBytes: number;
  /** Section checksums computed by the build worker, used once when the file is written. */
  checksums: Record<string, number[]> | undefined;
  refs = 1;
  obsolete = false;

  constructor(args: {
    id: number;
    index: SegmentIndex;
    joinedIds: string;
    idEnds: Uint32Array;
    idTable: Uint32Array;
    metaBlob: Uint8Array;
    metaEnds: Uint32Array;
    lengths?: Uint32Array | null;
    deleted?: Uint8Array;
    deletedCount?: number;
    delGen?: number;
    persisted: boolean;
    fileBytes?: number;
  }) {
    this.id = args.id;
    this.index = args.index;
    this.joinedIds = args.joinedIds;
    this.idEnds = args.idEnds;
    this.idTable = args.idTable;
    this.metaBlob = args.metaBlob;
    this.metaEnds = args.metaEnds;
    this.lengths = args.lengths ?? null;
    const n = this.index.numDocs;
    if (this.lengths !== null && this.lengths.length !== n) {
      throw new SparseDbError("CORRUPTION", `segment ${args.id}: ${n} docs but ${this.lengths.length} document lengths`);
    }
    if (this.idEnds.length !== n || this.metaEnds.length !== n || this.idTable.length < n || (this.idTable.length & (this.idTable.length - 1)) !== 0) {
      throw new SparseDbError("CORRUPTION", `segment ${args.id}: ${n} docs but ${this.idEnds.length} ids and ${this.metaEnds.length} metadata entries`);
    }
    this.deleted = args.deleted ?? new Uint8Array(Math.ceil(n / 8));
    this.deletedCount = args.deletedCount ?? 0;
    this.delGen = args.delGen ?? 0;
    this.committedDeletedCount = this.deletedCount;
    this.persisted = args.persisted;
    this.fileBytes = args.fileBytes ?? 0;
  }

  get numDocs(): number {
    return this.index.numDocs;
  }

  get liveDocs(): number {
    return this.index.numDocs - this.deletedCount;
  }

  isDeleted(doc: number): boolean {
    return (this.deleted[doc >> 3]! & (1 << (doc & 7))) !== 0;
  }

  /** The external id of a doc. */
  idAt(doc: number): string {
    return this.joinedIds.slice(doc === 0 ? 0 : this.idEnds[doc - 1]!, this.idEnds[doc]!);
  }

  /** The live doc holding `id`, or -1. Pass `hash` = idHash(id) when looking one id up in many segments. */
  docOf(id: string, hash = idHash(id)): number {
    const d = lookupId(this.idTable, id, hash, (x) => this.idAt(x));
    return d >= 0 && !this.isDeleted(d) ? d : -1;
  }

  /**
   * Marks `id` deleted if this segment holds a live version of it, counting it out of the corpus
   * statistics; returns whether it did.
   */
  deleteId(id: string, hash: number, statistics: CorpusStatistics): boolean {
    const d = this.docOf(id, hash);
    if (d < 0) return false;
    this.deleteCounted(d, statistics);
    return true;
  }

  deleteDoc(doc: number): void {
    if (this.isDeleted(doc)) return;
    this.deleted[doc >> 3]! |= 1 << (doc & 7);
    this.deletedCount++;
    this.deleteVersion++;
  }

  /** A doc's length for the corpus statistics, or NO_LENGTH. */
  lengthOf(doc: number): number {
    return this.lengths === null ? NO_LENGTH : this.lengths[doc]!;
  }

  /** Marks a live doc deleted and counts it out of the corpus statistics. */
  deleteCounted(doc: number, statistics: CorpusStatistics): void {
    if (this.isDeleted(doc)) return;
    this.deleteDoc(doc);
    const length = this.lengthOf(doc);
    if (length !== NO_LENGTH) statistics.count(this.termsOf(doc), length, -1);
  }

  /** Counts this segment's live documents into `statistics` (at open). */
  countLive(statistics: CorpusStatistics): void {
    const lengths = this.lengths;
    if (lengths === null) return;
    let counted = 0, total = 0;
    for (let d = 0; d < lengths.length; d++) {
      if (lengths[d] !== NO_LENGTH) {
        counted++;
        total += lengths[d]!;
      }
    }
    if (counted === this.numDocs) {
      // Every document counts: the posting lists' lengths are the document frequencies.
      statistics.addTotals(counted, total);
      statistics.addDocFreqs((t) => this.index.docFreq(t));
      for (let d = 0; d < this.numDocs; d++) if (this.isDeleted(d)) statistics.count(this.termsOf(d), lengths[d]!, -1);
    } else {
      for (let d = 0; d < this.numDocs; d++) if (!this.isDeleted(d)) statistics.count(this.termsOf(d), lengths[d]!, 1);
    }
  }

  private termsOf(doc: number): Uint16Array | Uint32Array {
    const f = this.index.forward;
    return f.terms.subarray(f.docStart[doc]!, f.docStart[doc + 1]!);
  }

  /** The raw msgpack bytes of a doc's metadata (empty: none). */
  metaBytes(doc: number): Uint8Array {
    return this.metaBlob.subarray(doc === 0 ? 0 : this.metaEnds[doc - 1]!, this.metaEnds[doc]!);
  }

  metadata(doc: number): unknown {
    const b = this.metaBytes(doc);
    return b.length === 0 ? null : unpackValue(b);
  }

  toSections(): Sections {
    const s = idSections(this.index.toSections(), [], this.metaBlob, this.metaEnds, this.lengths, this.id);
    s.arrays["ids.text"] = new TextEncoder().encode(this.joinedIds);
    s.arrays["ids.ends"] = this.idEnds;
    s.arrays["ids.hash"] = this.idTable;
    return s;
  }

  static fromSections(
    id: number,
    sections: Sections,
    fileBytes: number,
    deletions?: { bits: Uint8Array; deletedCount: number; delGen: number },
    persisted = true,
  ): LiveSegment {
    const idxMeta: Record<string, number | string> = {};
    const idxArrays: Record<string, Uint8Array | Uint16Array | Uint32Array | Float32Array> = {};
    for (const [k, v] of Object.entries(sections.meta)) if (k.startsWith("index.")) idxMeta[k.slice(6)] = v as number | string;
    for (const [k, v] of Object.entries(sections.arrays)) {
      if (k.startsWith("index.")) idxArrays[k.slice(6)] = v as Uint8Array | Uint16Array | Uint32Array | Float32Array;
    }
    const index = SegmentIndex.fromSections(idxMeta, idxArrays);
    const text = sections.arrays["ids.text"], idEnds = sections.arrays["ids.ends"], idTable = sections.arrays["ids.hash"];
    const metaBlob = sections.arrays["meta.blob"], metaEnds = sections.arrays["meta.ends"];
    const lengths = sections.arrays["docs.lengths"];
    if (lengths !== undefined && !(lengths instanceof Uint32Array)) throw new SparseDbError("CORRUPTION", `segment ${id}: docs.lengths is not a u32 array`);
    if (
      !(text instanceof Uint8Array) ||
      !(idEnds instanceof Uint32Array) ||
      !(idTable instanceof Uint32Array) ||
      !(metaBlob instanceof Uint8Array) ||
      !(metaEnds instanceof Uint32Array)
    ) {
      throw new SparseDbError("CORRUPTION", `segment ${id}: id or metadata sections missing`);
    }
    // Offsets in ids.ends are UTF-16 positions in the decoded string (FORMAT.md).
    const joinedIds = new TextDecoder().decode(text);
    return new LiveSegment({
      id,
      index,
      joinedIds,
      idEnds,
      idTable,
      metaBlob,
      metaEnds,
      lengths: lengths ?? null,
      deleted: deletions?.bits,
      deletedCount: deletions?.deletedCount,
      delGen: deletions?.delGen,
      persisted,
      fileBytes,
    });
  }
}
