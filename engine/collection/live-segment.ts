import type { Sections } from "../../storage/segment-file.js";
import type { SegmentIndex } from "../index/segment-index.js";
import { NO_LENGTH, type CorpusStatistics } from "./corpus-statistics.js";
import { idHash } from "./id-hash.js";
import { SegmentReader } from "./segment-reader.js";

/**
 * What the segment set records about a segment's files: whether its segment file is written,
 * which deletion file generation is committed, and what the next commit must write. Only
 * SegmentSet (segment-set.ts) changes it.
 */
export interface SegmentCommitState {
  /** Whether the segment file is on disk (fsynced); a flushed-but-unwritten segment is not. */
  persisted: boolean;
  /** Generation of the committed deletion file (0: none). */
  delGen: number;
  /** The deleteVersion the committed deletion file holds. */
  persistedDeleteVersion: number;
  /** deletedCount as of the committed deletion file. */
  committedDeletedCount: number;
  /** For an unpersisted segment made by a flush: the log holding its documents. */
  sourceLog: number | null;
  fileBytes: number;
  /** Section checksums computed by the build worker, used once when the file is written. */
  checksums: Record<string, number[]> | undefined;
}

/**
 * A segment as the live collection holds it: its immutable contents (`reader`), its deletion
 * bitset (the one part that changes; persisted as a separate file per generation at each commit),
 * the segment set's bookkeeping of its files (`commit`), and its lifetime.
 *
 * Lifetime: `refs` counts the collection's current view (1 while the segment is live) plus every
 * snapshot using it. The file is removed only once the segment has left the view, refs is 0, and
 * a manifest without it is committed.
 */
export class LiveSegment {
  readonly deleted: Uint8Array;
  deletedCount: number;
  /** Bumped by every deletion; compared with commit.persistedDeleteVersion to know what to write. */
  deleteVersion = 0;
  readonly commit: SegmentCommitState;
  refs = 1;
  obsolete = false;

  constructor(
    readonly reader: SegmentReader,
    o: { deletions?: { bits: Uint8Array; deletedCount: number; delGen: number }; persisted: boolean; fileBytes?: number },
  ) {
    this.deleted = o.deletions?.bits ?? new Uint8Array(Math.ceil(reader.numDocs / 8));
    this.deletedCount = o.deletions?.deletedCount ?? 0;
    this.commit = {
      persisted: o.persisted,
      delGen: o.deletions?.delGen ?? 0,
      persistedDeleteVersion: 0,
      committedDeletedCount: this.deletedCount,
      sourceLog: null,
      fileBytes: o.fileBytes ?? 0,
      checksums: undefined,
    };
  }

  static fromSections(
    id: number,
    sections: Sections,
    fileBytes: number,
    deletions?: { bits: Uint8Array; deletedCount: number; delGen: number },
    persisted = true,
  ): LiveSegment {
    return new LiveSegment(SegmentReader.fromSections(id, sections), { deletions, persisted, fileBytes });
  }

  get id(): number {
    return this.reader.id;
  }

  get index(): SegmentIndex {
    return this.reader.index;
  }

  get numDocs(): number {
    return this.reader.numDocs;
  }

  get liveDocs(): number {
    return this.reader.numDocs - this.deletedCount;
  }

  isDeleted(doc: number): boolean {
    return (this.deleted[doc >> 3]! & (1 << (doc & 7))) !== 0;
  }

  idAt(doc: number): string {
    return this.reader.idAt(doc);
  }

  /** The live doc holding `id`, or -1. Pass `hash` = idHash(id) when looking one id up in many segments. */
  docOf(id: string, hash = idHash(id)): number {
    const d = this.reader.findId(id, hash);
    return d >= 0 && !this.isDeleted(d) ? d : -1;
  }

  lengthOf(doc: number): number {
    return this.reader.lengthOf(doc);
  }

  metaBytes(doc: number): Uint8Array {
    return this.reader.metaBytes(doc);
  }

  metadata(doc: number): unknown {
    return this.reader.metadata(doc);
  }

  textBytes(doc: number): Uint8Array {
    return this.reader.textBytes(doc);
  }

  /** A doc's dense vector (a view into the segment), or null. */
  denseOf(doc: number): Float32Array | null {
    return this.reader.denseOf(doc);
  }

  text(doc: number): string | null {
    return this.reader.text(doc);
  }

  toSections(): Sections {
    return this.reader.toSections();
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

  /** Marks a live doc deleted and counts it out of the corpus statistics. */
  deleteCounted(doc: number, statistics: CorpusStatistics): void {
    if (this.isDeleted(doc)) return;
    this.deleteDoc(doc);
    const length = this.reader.lengthOf(doc);
    if (length !== NO_LENGTH) statistics.count(this.reader.termsOf(doc), length, -1);
  }

  /** Counts this segment's live documents into `statistics` (at open). */
  countLive(statistics: CorpusStatistics): void {
    const lengths = this.reader.lengths;
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
      for (let d = 0; d < this.numDocs; d++) if (this.isDeleted(d)) statistics.count(this.reader.termsOf(d), lengths[d]!, -1);
    } else {
      for (let d = 0; d < this.numDocs; d++) if (!this.isDeleted(d)) statistics.count(this.reader.termsOf(d), lengths[d]!, 1);
    }
  }
}
