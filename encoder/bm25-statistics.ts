import { SparseDbError } from "../engine/errors.js";
import type { CorpusStatistics } from "./encoder.js";
import { checkTexts, type WordPieceTokenizer } from "./tokenizer.js";

/** The serialized form: plain JSON. `df` maps a decimal term id to its document frequency. */
export interface Bm25StatisticsJson {
  numDocs: number;
  totalLength: number;
  df: Record<string, number>;
}

/**
 * BM25's corpus statistics in the WordPiece term space: the number of documents, their total
 * length in word pieces (specials excluded) and each term's document frequency. They grow as
 * documents are observed; the owner persists toJSON() and restores with fromJSON().
 */
export class Bm25Statistics implements CorpusStatistics {
  numDocs = 0;
  totalLength = 0;
  readonly df = new Map<number, number>();

  constructor(
    private readonly tokenizer: WordPieceTokenizer,
    private readonly maxTokens: number,
  ) {}

  get averageLength(): number {
    return this.numDocs === 0 ? 0 : this.totalLength / this.numDocs;
  }

  /** Lucene's IDF, always positive: ln(1 + (N - df + 0.5) / (df + 0.5)). */
  idf(term: number): number {
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (this.numDocs - df + 0.5) / (df + 0.5));
  }

  observe(texts: string[]): void {
    checkTexts(texts);
    for (const t of texts) this.add(this.tokenizer.contentIds(t, this.maxTokens), 1);
  }

  forget(texts: string[]): void {
    checkTexts(texts);
    for (const t of texts) this.add(this.tokenizer.contentIds(t, this.maxTokens), -1);
  }

  /** Counts one document given its content ids (sign -1 removes it). */
  add(ids: number[], sign: 1 | -1): void {
    if (sign < 0 && this.numDocs === 0) {
      throw new SparseDbError("INVALID_ARGUMENT", "forget() on empty BM25 statistics: forget only documents that were observed");
    }
    this.numDocs += sign;
    this.totalLength += sign * ids.length;
    for (const id of new Set(ids)) {
      const n = (this.df.get(id) ?? 0) + sign;
      if (n > 0) this.df.set(id, n);
      else this.df.delete(id);
    }
  }

  toJSON(): Bm25StatisticsJson {
    const df: Record<string, number> = {};
    for (const [t, n] of [...this.df.entries()].sort((a, b) => a[0] - b[0])) df[t] = n;
    return { numDocs: this.numDocs, totalLength: this.totalLength, df };
  }

  /** Restores statistics saved by toJSON(); checks their shape and the term ids. */
  load(json: unknown): void {
    const j = json as Bm25StatisticsJson;
    const bad = (what: string) =>
      new SparseDbError("CORRUPTION", `BM25 statistics: ${what}; pass the object that Bm25Statistics.toJSON() produced`);
    if (j === null || typeof j !== "object") throw bad("not an object");
    if (!Number.isInteger(j.numDocs) || j.numDocs < 0) throw bad(`numDocs is ${String(j.numDocs)}`);
    if (typeof j.totalLength !== "number" || !(j.totalLength >= 0)) throw bad(`totalLength is ${String(j.totalLength)}`);
    if (j.df === null || typeof j.df !== "object") throw bad("df is not an object");
    this.df.clear();
    const size = this.tokenizer.vocabulary.size;
    for (const [k, n] of Object.entries(j.df)) {
      const t = Number(k);
      if (!Number.isInteger(t) || t < 0 || t >= size) throw bad(`term id ${k} is outside the vocabulary (${size} terms)`);
      if (!Number.isInteger(n) || n < 1 || n > j.numDocs) throw bad(`df of term ${k} is ${String(n)}`);
      this.df.set(t, n);
    }
    this.numDocs = j.numDocs;
    this.totalLength = j.totalLength;
  }
}
