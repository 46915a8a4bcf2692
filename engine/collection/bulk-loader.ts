import { SparseDbError } from "../errors.js";
import { applyDelete } from "./apply-writes.js";
import { NO_LENGTH } from "./corpus-statistics.js";
import { LiveSegment } from "./live-segment.js";
import type { LiveState } from "./live-state.js";
import type { SegmentBuildService } from "./segment-build-service.js";
import { SegmentInputBuilder, type SegmentInput } from "./segment-input.js";
import type { SegmentSet } from "./segment-set.js";
import type { StoredDoc } from "./wal-records.js";
import type { WriteLog } from "./write-log.js";

/**
 * A bulk segment's default size, by memory rather than by memtableMaxDocs: search pays a fixed
 * cost per segment (a 1M-document load in 50 segments of 20,000 searched 5.5x slower than one
 * segment), and a merge afterwards rebuilds every document again from its forward index, so a
 * load builds large segments directly. 2^24 postings (~140,000 documents of 120) keep one
 * batch's stored documents near 200 MB and its build input near 135 MB; a load holds about
 * three batches at once (one read, two building), far below the search kernel's 300M-posting
 * segment limit (merge-policy.ts). Not larger: the last segment builds after the stream ends,
 * with nothing to overlap (2^25 gave 4 segments at 1M, searched about as fast as 8, with more
 * memory and a longer tail).
 */
export const BULK_SEGMENT_POSTINGS = 2 ** 24;
export const BULK_SEGMENT_MAX_DOCS = 500_000;

/**
 * The documents and postings one bulk segment may hold: `segmentDocs` alone when given (every
 * segment but the last holds exactly that many, the commit points a caller may rely on), else
 * the memory budget; `segmentPostings` bounds postings either way.
 */
export function bulkSegmentLimits(o: { segmentDocs?: number; segmentPostings?: number }): { docs: number; postings: number } {
  for (const [name, v] of [["segmentDocs", o.segmentDocs], ["segmentPostings", o.segmentPostings]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new SparseDbError("INVALID_ARGUMENT", `${name} must be a positive integer, got ${v}`);
  }
  return {
    docs: o.segmentDocs ?? BULK_SEGMENT_MAX_DOCS,
    postings: o.segmentPostings ?? (o.segmentDocs === undefined ? BULK_SEGMENT_POSTINGS : Infinity),
  };
}

/** What a bulk segment's commit needs of each of its documents. */
type Committed = Pick<StoredDoc, "id" | "terms" | "length">;
const NO_TERMS = new Uint32Array(0);

export interface BulkLoadProgress {
  /** Documents of the source in committed segments so far (each counted once, replacements too). */
  committedDocs: number;
  segments: number;
}

/**
 * Loads a stream of documents straight into segments, without the write-ahead log: each batch
 * (bulkSegmentLimits) becomes one segment, built on the build worker while the next batch is
 * read, then committed through the segment set (segment file, the bitsets of the older versions
 * it replaces, then the manifest naming it). A document is durable once that manifest commit
 * returns, and only then counted in `onCommit`; a crash before leaves the collection as at the
 * previous commit (open() removes the unnamed segment file).
 *
 * The caller holds other writes off for the duration (CollectionStore gates upsert and delete)
 * and has flushed the memtable, so no log record can be newer than a bulk segment: replay would
 * otherwise resurrect an older version over it.
 */
export class BulkLoader {
  committedDocs = 0;
  private segmentsCommitted = 0;

  constructor(
    private readonly live: LiveState,
    private readonly log: WriteLog,
    private readonly segments: SegmentSet,
    private readonly builds: SegmentBuildService,
    private readonly onCommit: (p: BulkLoadProgress) => void,
  ) {}

  /**
   * Reads `batches` (each the stored form of one segment's documents) and commits each as a
   * segment; at most one batch is being built while the next is read.
   */
  async load(batches: AsyncIterable<StoredDoc[]>): Promise<void> {
    let pending: Promise<void> | null = null;
    try {
      for await (let batch of batches) {
        if (batch.length === 0) continue;
        const built = this.build(batch);
        batch = []; // not held while the previous commit is awaited
        built.catch(() => undefined); // handled below; an earlier commit's failure may end the loop first
        if (pending) await pending;
        pending = built.then((b) => this.commit(b));
        // Surface a failed build or commit before reading further (the next await sees it too).
        pending.catch(() => undefined);
      }
    } finally {
      if (pending) await pending;
    }
  }

  private async build(batch: StoredDoc[]): Promise<{ seg: LiveSegment; docs: Committed[]; sourceDocs: number }> {
    const { input, docs, sourceDocs } = this.prepare(batch); // nothing of `batch` is held past this
    const id = this.segments.newFileNumber();
    const built = await this.builds.build(input, id);
    const seg = LiveSegment.fromSections(id, built.sections, 0, undefined, false);
    seg.commit.checksums = built.checksums;
    seg.commit.sourceLog = null; // no log holds these documents
    return { seg, docs, sourceDocs };
  }

  /**
   * The build input of a batch, and what its commit needs of each document: ids and, for the
   * corpus statistics, the terms of documents with a length. Only those are kept, so the stored
   * documents (vectors, metadata, texts) can be freed while the segment builds (a load has up
   * to two batches building and one being read).
   */
  private prepare(batch: StoredDoc[]): { input: SegmentInput; docs: Committed[]; sourceDocs: number } {
    // The last version of an id within the batch wins (a segment holds an id once).
    const last = new Map<string, number>();
    batch.forEach((d, i) => last.set(d.id, i));
    const docs = last.size === batch.length ? batch : batch.filter((d, i) => last.get(d.id) === i);
    let postings = 0;
    for (const d of docs) postings += d.terms.length;
    const input = new SegmentInputBuilder(this.segments.bits, this.segments.vocabSize, { docs: docs.length, postings });
    for (const d of docs) input.add(d.id, d.terms, d.weights, d.meta, d.length, d.text ?? null, d.dense ?? null);
    const kept = docs.map((d) => ({ id: d.id, terms: d.length === NO_LENGTH ? NO_TERMS : d.terms, length: d.length }));
    return { input: input.finish(), docs: kept, sourceDocs: batch.length };
  }

  private async commit(b: { seg: LiveSegment; docs: Committed[]; sourceDocs: number }): Promise<void> {
    await this.segments.serialized(async () => {
      const live = this.live;
      // Older versions anywhere (earlier segments, this load's included) go, as an upsert's would.
      for (const d of b.docs) {
        applyDelete(live, d.id);
        live.statistics.count(d.terms, d.length, 1);
      }
      live.segments.push(b.seg);
      try {
        await this.segments.commit(live, this.log);
      } catch (e) {
        // Not committed: the documents are not in the collection (a reopen shows the last commit).
        live.segments = live.segments.filter((s) => s !== b.seg);
        for (const d of b.docs) live.statistics.count(d.terms, d.length, -1);
        throw e;
      }
    });
    this.committedDocs += b.sourceDocs;
    this.segmentsCommitted++;
    this.onCommit({ committedDocs: this.committedDocs, segments: this.segmentsCommitted });
  }
}
