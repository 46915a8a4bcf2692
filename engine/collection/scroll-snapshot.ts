import { unpackValue } from "../../storage/msgpack.js";
import type { ScrolledDocument } from "../requests.js";
import { SparseVector } from "../sparse-vector.js";
import { firstAfter, memtableIdOrder, segmentIdOrder } from "./id-order.js";
import type { LiveSegment } from "./live-segment.js";
import type { Memtable } from "./memtable.js";
import type { Snapshot } from "./snapshot.js";

export interface SnapshotScrollOptions {
  limit: number;
  /** Start after this id (exclusive); undefined: from the first. */
  after?: string;
  /** Metadata predicate (a compiled filter). */
  accept?: (metadata: unknown) => boolean;
  withVectors: boolean;
  vocabSize: number;
}

/**
 * One scroll page over a snapshot: a merge by external id of every source's documents after
 * `after` (each segment in its cached id order, each memtable in its sorted ids), skipping deleted
 * documents and those the filter rejects. An id is live in exactly one source (apply-writes.ts
 * removes every older version), so the merge never meets an id twice. Runs synchronously from
 * snapshot to result (no write interleaves, see snapshot.ts). Cost per page: a binary search per
 * source, then (documents scanned) x (sources); `more` peeks at the next accepted document so
 * that a non-null next cursor always has a document behind it.
 */
export function scrollSnapshot(snap: Snapshot, o: SnapshotScrollOptions): { documents: ScrolledDocument[]; more: boolean } {
  const heads: Head[] = [];
  for (const m of snap.memtables) heads.push(new MemtableHead(m, o.after));
  for (const s of snap.segments) if (s.liveDocs > 0) heads.push(new SegmentHead(s, o.after));
  const live = heads.filter((h) => h.id !== undefined);
  const documents: ScrolledDocument[] = [];
  for (;;) {
    let best: Head | undefined;
    for (const h of live) if (h.id !== undefined && (best === undefined || h.id < best.id!)) best = h;
    if (best === undefined) return { documents, more: false };
    const metadata = best.metadata();
    if (o.accept === undefined || o.accept(metadata)) {
      if (documents.length === o.limit) return { documents, more: true };
      const doc: ScrolledDocument = { id: best.id!, metadata };
      if (o.withVectors) {
        doc.vector = best.vector(o.vocabSize);
        const dense = best.dense();
        if (dense !== null) doc.dense = dense.slice();
      }
      const text = best.text();
      if (text !== null) doc.text = text;
      documents.push(doc);
    }
    best.advance();
  }
}

/** A source's position: the id there (undefined at the end), its document's parts. */
interface Head {
  id: string | undefined;
  advance(): void;
  metadata(): unknown;
  vector(vocabSize: number): SparseVector;
  /** Its dense vector, or null. */
  dense(): Float32Array | null;
  /** The stored text (storeText), or null. */
  text(): string | null;
}

class SegmentHead implements Head {
  id: string | undefined;
  private readonly order: Uint32Array;
  private position: number;
  private doc = -1;

  constructor(private readonly segment: LiveSegment, after: string | undefined) {
    this.order = segmentIdOrder(segment.reader);
    this.position = after === undefined ? 0 : firstAfter(this.order.length, (p) => segment.idAt(this.order[p]!), after);
    this.settle();
  }

  /** Moves to the first live document at or after the position. */
  private settle(): void {
    while (this.position < this.order.length && this.segment.isDeleted(this.order[this.position]!)) this.position++;
    if (this.position < this.order.length) {
      this.doc = this.order[this.position]!;
      this.id = this.segment.idAt(this.doc);
    } else this.id = undefined;
  }

  advance(): void {
    this.position++;
    this.settle();
  }

  metadata(): unknown {
    return this.segment.metadata(this.doc);
  }

  vector(): SparseVector {
    return this.segment.index.forward.vector(this.doc);
  }

  dense(): Float32Array | null {
    return this.segment.denseOf(this.doc);
  }

  text(): string | null {
    return this.segment.text(this.doc);
  }
}

class MemtableHead implements Head {
  id: string | undefined;
  private readonly ids: string[];
  private position: number;

  constructor(private readonly memtable: Memtable, after: string | undefined) {
    this.ids = memtableIdOrder(memtable);
    this.position = after === undefined ? 0 : firstAfter(this.ids.length, (p) => this.ids[p]!, after);
    this.settle();
  }

  /** Skips ids deleted since the memtable's order was cached. */
  private settle(): void {
    while (this.position < this.ids.length && this.memtable.get(this.ids[this.position]!) === undefined) this.position++;
    this.id = this.ids[this.position];
  }

  advance(): void {
    this.position++;
    this.settle();
  }

  metadata(): unknown {
    const meta = this.memtable.get(this.id!)!.meta;
    return meta ? unpackValue(meta) : null;
  }

  vector(vocabSize: number): SparseVector {
    const d = this.memtable.get(this.id!)!;
    return SparseVector.fromArrays(d.terms, d.weights, { vocabSize });
  }

  dense(): Float32Array | null {
    return this.memtable.get(this.id!)!.dense ?? null;
  }

  text(): string | null {
    return this.memtable.get(this.id!)!.text ?? null;
  }
}
