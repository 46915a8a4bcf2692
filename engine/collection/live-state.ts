import { unpackValue } from "../../storage/msgpack.js";
import { SparseVector } from "../sparse-vector.js";
import type { LiveDocuments } from "./apply-writes.js";
import type { CorpusStatistics } from "./corpus-statistics.js";
import { idHash } from "./id-hash.js";
import type { LiveSegment } from "./live-segment.js";
import { Memtable } from "./memtable.js";
import { Snapshot } from "./snapshot.js";
import type { StoredDoc } from "./wal-records.js";

/** A live document as get returns it: its dense vector (a copy) only when it has one. */
export interface LiveDocument {
  id: string;
  vector: SparseVector;
  metadata: unknown;
  text: string | null;
  dense?: Float32Array;
}

function withDense(doc: LiveDocument, dense: Float32Array | null): LiveDocument {
  if (dense !== null) doc.dense = dense.slice();
  return doc;
}

/**
 * The live documents of an open collection, in memory: the memtable, memtables being built into
 * segments (still searched, still take deletions), the segments in order, and the corpus
 * statistics of them all. Writes change it only through apply-writes.ts (applyUpsert,
 * applyDelete), the same functions log replay uses at open (recovery.ts), so the live path and
 * recovery build the same state. The flusher swaps memtables, the merge scheduler and the
 * segment set swap segments; everything else reads.
 */
export class LiveState implements LiveDocuments {
  memtable: Memtable;
  flushingMemtables: Memtable[] = [];
  segments: LiveSegment[];

  constructor(
    memtable: Memtable,
    segments: LiveSegment[],
    readonly statistics: CorpusStatistics,
  ) {
    this.memtable = memtable;
    this.segments = segments;
  }

  /** The current version of `id`, or null (text: its stored text, or null). */
  get(id: string, vocabSize: number): LiveDocument | null {
    const m = this.memtableVersion(id);
    if (m) {
      return withDense(
        {
          id,
          vector: SparseVector.fromArrays(m.terms, m.weights, { vocabSize }),
          metadata: m.meta ? unpackValue(m.meta) : null,
          text: m.text ?? null,
        },
        m.dense ?? null,
      );
    }
    const hash = idHash(id);
    for (const s of this.segments) {
      const d = s.docOf(id, hash);
      if (d >= 0) return withDense({ id, vector: s.index.forward.vector(d), metadata: s.metadata(d), text: s.text(d) }, s.denseOf(d));
    }
    return null;
  }

  /**
   * The current version of `id` in its stored form (what a log record holds: terms, weights,
   * metadata bytes, length, text), or null; a copy when it comes from a segment.
   */
  storedVersion(id: string): StoredDoc | null {
    const m = this.memtableVersion(id);
    if (m) return m;
    const hash = idHash(id);
    for (const s of this.segments) {
      const d = s.docOf(id, hash);
      if (d < 0) continue;
      const f = s.index.forward;
      const from = f.docStart[d]!, to = f.docStart[d + 1]!;
      const meta = s.metaBytes(d);
      return {
        id,
        terms: Uint32Array.from(f.terms.subarray(from, to)),
        weights: f.weights.slice(from, to),
        meta: meta.length === 0 ? null : meta.slice(),
        length: s.lengthOf(d),
        text: s.text(d),
        dense: s.denseOf(d)?.slice() ?? null,
      };
    }
    return null;
  }

  private memtableVersion(id: string): StoredDoc | undefined {
    return this.memtable.get(id) ?? this.flushingMemtables.map((f) => f.get(id)).find((x) => x !== undefined);
  }

  count(): number {
    return this.memtableDocs() + this.segments.reduce((n, s) => n + s.liveDocs, 0);
  }

  /** Live documents that have a dense vector. */
  denseDocs(): number {
    let n = 0;
    for (const m of [this.memtable, ...this.flushingMemtables]) for (const d of m.values()) if (d.dense) n++;
    for (const s of this.segments) {
      const dense = s.reader.dense;
      if (dense === null) continue;
      if (s.deletedCount === 0) n += dense.docs.length;
      else for (const d of dense.docs) if (!s.isDeleted(d)) n++;
    }
    return n;
  }

  memtableDocs(): number {
    return this.memtable.size + this.flushingMemtables.reduce((n, m) => n + m.size, 0);
  }

  /** A consistent view for a reader (references its segments until released). */
  snapshot(onFreed: (freed: LiveSegment[]) => void): Snapshot {
    return new Snapshot([this.memtable, ...this.flushingMemtables], [...this.segments], onFreed);
  }

  /** Freezes the memtable for a flush: it joins the flushing set (searched, deletable) and a new one takes writes. */
  freezeMemtable(): Memtable {
    const frozen = this.memtable;
    this.memtable = new Memtable();
    this.flushingMemtables.push(frozen);
    return frozen;
  }

  /** A frozen memtable's documents are in a segment now (or back in the memtable after a failed build). */
  unfreeze(frozen: Memtable): void {
    this.flushingMemtables = this.flushingMemtables.filter((m) => m !== frozen);
  }
}
