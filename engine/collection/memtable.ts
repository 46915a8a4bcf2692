import type { StoredDoc } from "./wal-records.js";

/**
 * The newest writes, in memory, searchable at once: external id -> document. Small by design
 * (it flushes into a segment at memtableMaxDocs), so search over it is a brute-force dot product
 * per document, summed exactly as the forward index sums (float64, increasing term order), so a
 * document scores the same before and after it is flushed.
 */
export class Memtable {
  private readonly docs = new Map<string, StoredDoc>();
  private postings = 0;
  /** Bumped whenever an id not yet present is added (scroll's sorted-id cache, id-order.ts, keys on it). */
  idsAdded = 0;

  get size(): number {
    return this.docs.size;
  }

  get numPostings(): number {
    return this.postings;
  }

  get(id: string): StoredDoc | undefined {
    return this.docs.get(id);
  }

  /** Inserts or replaces. */
  put(doc: StoredDoc): void {
    if (!this.delete(doc.id)) this.idsAdded++;
    this.docs.set(doc.id, doc);
    this.postings += doc.terms.length;
  }

  delete(id: string): boolean {
    const old = this.docs.get(id);
    if (!old) return false;
    this.docs.delete(id);
    this.postings -= old.terms.length;
    return true;
  }

  /** Documents in insertion order (the order they become segment doc ids). */
  values(): IterableIterator<StoredDoc> {
    return this.docs.values();
  }

  /** Exact top-k candidates: every document passing `accept`, scored against a dense query. */
  score(dense: Float64Array, accept: (doc: StoredDoc) => boolean): { doc: StoredDoc; score: number }[] {
    const out: { doc: StoredDoc; score: number }[] = [];
    for (const d of this.docs.values()) {
      const t = d.terms, w = d.weights;
      let s = 0, touched = false;
      for (let i = 0; i < t.length; i++) {
        const q = dense[t[i]!];
        if (q !== undefined && q !== 0) {
          s += q * w[i]!;
          touched = true;
        }
      }
      if (touched && accept(d)) out.push({ doc: d, score: s });
    }
    return out;
  }
}
