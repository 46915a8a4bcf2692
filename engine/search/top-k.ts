/** A ranked hit inside one segment: dense doc id and score. */
export interface DocHit {
  doc: number;
  score: number;
}

/**
 * Keeps the k best (doc, score) pairs: higher score first, then lower doc id, the one tie rule
 * of every algorithm. A binary heap with the worst kept hit at the root.
 *
 * `threshold` is what pruning compares upper bounds against: an algorithm may skip a document
 * only when its upper bound is strictly below it. Without a margin it is the k-th best score
 * (-Infinity until k hits are held). With a margin (exact mode) it is lowered by the margin,
 * and every offered hit at or above the threshold at the time is also kept as a candidate for
 * float re-scoring (see query-plan.ts for why that is rank-safe).
 */
export class TopKCollector {
  readonly k: number;
  readonly margin: number;
  threshold = -Infinity;
  private size = 0;
  private readonly docs: Int32Array;
  private readonly scores: Float64Array;
  private readonly collect: boolean;
  private candDocs: number[] = [];
  private candScores: number[] = [];

  private readonly filter: ((doc: number) => boolean) | undefined;

  /**
   * `filter` rejects documents that must not be returned (deleted, filtered out); it is asked
   * only about documents that would otherwise be kept, so algorithms never check it themselves.
   */
  constructor(k: number, margin = 0, collectCandidates = false, filter?: (doc: number) => boolean) {
    this.k = k;
    this.margin = margin;
    this.collect = collectCandidates;
    this.filter = filter;
    this.docs = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  /** Offers a hit; keeps it when it ranks among the k best so far (and passes the filter). */
  offer(doc: number, score: number): void {
    const k = this.k;
    const full = this.size === k;
    if (this.collect) {
      if (score < this.threshold) return;
      if (this.filter !== undefined && !this.filter(doc)) return;
      this.candDocs.push(doc);
      this.candScores.push(score);
    } else {
      if (full && (score < this.scores[0]! || (score === this.scores[0]! && doc > this.docs[0]!))) return;
      if (this.filter !== undefined && !this.filter(doc)) return;
    }
    if (this.size < k) {
      this.siftUp(this.size++, doc, score);
      if (this.size === k) this.threshold = this.scores[0]! - this.margin;
      return;
    }
    const ws = this.scores[0]!;
    if (score < ws || (score === ws && doc > this.docs[0]!)) return;
    this.siftDown(doc, score);
    this.threshold = this.scores[0]! - this.margin;
    if (this.collect && this.candDocs.length > 4 * k + 4096) this.compactCandidates();
  }

  /** The kept hits, best first. */
  results(): DocHit[] {
    const out: DocHit[] = [];
    for (let i = 0; i < this.size; i++) out.push({ doc: this.docs[i]!, score: this.scores[i]! });
    return out.sort(compareHits);
  }

  /** Exact mode: the candidates still at or above the final threshold. */
  candidates(): { docs: number[]; scores: number[] } {
    this.compactCandidates();
    return { docs: this.candDocs, scores: this.candScores };
  }

  private compactCandidates(): void {
    const t = this.threshold;
    const d = this.candDocs, s = this.candScores;
    let j = 0;
    for (let i = 0; i < d.length; i++) {
      if (s[i]! >= t) {
        d[j] = d[i]!;
        s[j] = s[i]!;
        j++;
      }
    }
    d.length = j;
    s.length = j;
  }

  /** True when hit a ranks below hit b (lower score, or same score and higher doc id). */
  private static worse(sa: number, da: number, sb: number, db: number): boolean {
    return sa < sb || (sa === sb && da > db);
  }

  private siftUp(i: number, doc: number, score: number): void {
    const docs = this.docs, scores = this.scores;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!TopKCollector.worse(score, doc, scores[parent]!, docs[parent]!)) break;
      docs[i] = docs[parent]!;
      scores[i] = scores[parent]!;
      i = parent;
    }
    docs[i] = doc;
    scores[i] = score;
  }

  private siftDown(doc: number, score: number): void {
    const docs = this.docs, scores = this.scores, n = this.size;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && TopKCollector.worse(scores[c + 1]!, docs[c + 1]!, scores[c]!, docs[c]!)) c++;
      if (!TopKCollector.worse(scores[c]!, docs[c]!, score, doc)) break;
      docs[i] = docs[c]!;
      scores[i] = scores[c]!;
      i = c;
    }
    docs[i] = doc;
    scores[i] = score;
  }
}

/** Best first: higher score, then lower doc id. */
export function compareHits(a: DocHit, b: DocHit): number {
  return b.score - a.score || a.doc - b.doc;
}
