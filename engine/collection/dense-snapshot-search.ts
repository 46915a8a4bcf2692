import type { LegHit as FusionLegHit } from "../dense/fusion.js";
import { unpackValue } from "../../storage/msgpack.js";
import { denseScore, type DenseMetric } from "../dense/dense-metric.js";
import type { Snapshot } from "./snapshot.js";

/** A hit of one leg: the document's external id and its score in that leg (higher is better). */
export type LegHit = FusionLegHit<string>;

export interface DenseLegOptions {
  /** Hits to return. */
  k: number;
  metric: DenseMetric;
  /** Metadata predicate (the request's filter); deleted documents never count. */
  accept?: (metadata: unknown) => boolean;
}

/**
 * The dense leg's exact top-k over a snapshot: every live document with a dense vector that
 * passes the filter, in the memtables and in each segment's dense rows. Ties: score descending,
 * then external id ascending, as the sparse leg, so results do not depend on where a document sits.
 */
export function denseSearchSnapshot(snap: Snapshot, query: Float32Array, o: DenseLegOptions): LegHit[] {
  const top = new TopHits(o.k);
  for (const m of snap.memtables) {
    for (const d of m.values()) {
      if (!d.dense) continue;
      const score = denseScore(d.dense, d.dense.length, 0, query, o.metric);
      if (!top.wouldTake(score)) continue;
      if (o.accept && !o.accept(d.meta ? unpackValue(d.meta) : null)) continue;
      top.offer(score, d.id);
    }
  }
  for (const seg of snap.segments) {
    const dense = seg.reader.dense;
    if (dense === null || seg.liveDocs === 0) continue;
    const { dims, docs, vectors } = dense;
    const hnsw = seg.reader.loadedDenseIndex;
    if (hnsw !== null) {
      // Approximate: the graph's candidates (deleted and filtered-out rows refused), re-scored exactly.
      const accept = (row: number) => !seg.isDeleted(docs[row]!) && (o.accept === undefined || o.accept(seg.metadata(docs[row]!)));
      for (const h of hnsw.search(query, o.k, accept)) top.offer(h.score, seg.idAt(docs[h.row]!));
      continue;
    }
    for (let row = 0; row < docs.length; row++) {
      const doc = docs[row]!;
      if (seg.isDeleted(doc)) continue;
      const score = denseScore(vectors, dims, row, query, o.metric);
      if (!top.wouldTake(score)) continue;
      if (o.accept && !o.accept(seg.metadata(doc))) continue;
      top.offer(score, seg.idAt(doc));
    }
  }
  return top.sorted();
}

/** Loads the HNSW index of every segment of the snapshot that has one (once per segment), so the search itself runs without awaiting. */
export async function loadDenseIndexes(snap: Snapshot, metric: DenseMetric): Promise<void> {
  await Promise.all(snap.segments.map((s) => s.reader.denseIndex(metric)));
}

/** The k best (score, id) pairs seen: a heap with the worst at the root (lower score, then greater id). */
export class TopHits {
  private readonly heap: LegHit[] = [];

  constructor(private readonly k: number) {}

  /** Whether a hit of this score may enter (an equal score may, by its id). */
  wouldTake(score: number): boolean {
    return this.heap.length < this.k || score >= this.heap[0]!.score;
  }

  offer(score: number, id: string): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push({ id, score });
      this.up(h.length - 1);
    } else if (worse(h[0]!, { id, score })) {
      h[0] = { id, score };
      this.down(0);
    }
  }

  sorted(): LegHit[] {
    return [...this.heap].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(h[i]!, h[p]!)) return;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && worse(h[l]!, h[m]!)) m = l;
      if (r < h.length && worse(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** a ranks below b: lower score, or the same score and a greater id. */
function worse(a: LegHit, b: LegHit): boolean {
  return a.score < b.score || (a.score === b.score && a.id > b.id);
}
