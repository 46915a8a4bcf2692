import { SparseDbError } from "../engine/errors.js";
import type { CorpusStatisticsView } from "./encoder.js";

/**
 * BM25 corpus statistics held in memory by whoever counts documents itself: a Bm25Encoder used
 * on its own (benchmarks, tests) starts with an empty one and reads it until a collection
 * attaches its live statistics instead. `observe(texts)` on the encoder fills it.
 */
export class Bm25Statistics implements CorpusStatisticsView {
  numDocs = 0;
  totalLength = 0;
  private readonly df = new Map<number, number>();

  docFreq(term: number): number {
    return this.df.get(term) ?? 0;
  }

  /** Counts one document given the term ids BM25 counts (sign -1 takes it out again). */
  add(ids: readonly number[], sign: 1 | -1): void {
    if (sign < 0 && this.numDocs === 0) {
      throw new SparseDbError("INVALID_ARGUMENT", "BM25 statistics are empty: take out only documents that were counted");
    }
    this.numDocs += sign;
    this.totalLength += sign * ids.length;
    for (const id of new Set(ids)) {
      const n = (this.df.get(id) ?? 0) + sign;
      if (n > 0) this.df.set(id, n);
      else this.df.delete(id);
    }
  }
}

/** Lucene's IDF, always positive: ln(1 + (N - df + 0.5) / (df + 0.5)). */
export function bm25Idf(statistics: CorpusStatisticsView, term: number): number {
  const df = statistics.docFreq(term);
  return Math.log(1 + (statistics.numDocs - df + 0.5) / (df + 0.5));
}
