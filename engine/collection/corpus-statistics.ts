import type { CorpusStatisticsView } from "../../encoder/index.js";

/** A document's length when it has none: given as a vector, or written before lengths were kept. */
export const NO_LENGTH = 0xffffffff;

/**
 * The corpus statistics of a collection's live documents, for encoders whose weights depend on
 * them (BM25): how many documents carry a length, their total length, and per term the number of
 * those documents whose stored vector has it. A document counts iff it was stored with a length
 * (its encoder measured one); documents given as vectors do not.
 *
 * Not persisted: they are a function of the live documents, rebuilt at open from the segments
 * (each segment stores its documents' lengths) and the replayed log, and kept current by the one
 * apply path (apply-writes.ts) that inserts and removes documents, live and in replay alike.
 */
export class CorpusStatistics implements CorpusStatisticsView {
  numDocs = 0;
  totalLength = 0;
  /** Allocated on the first counted document, so collections without lengths pay nothing. */
  private df: Int32Array | null = null;

  constructor(private readonly vocabSize: number) {}

  docFreq(term: number): number {
    return this.df?.[term] ?? 0;
  }

  /** Counts a document in (sign 1) or out (sign -1); no-op for a document without a length. */
  count(terms: ArrayLike<number>, length: number, sign: 1 | -1): void {
    if (length === NO_LENGTH) return;
    const df = (this.df ??= new Int32Array(this.vocabSize));
    this.numDocs += sign;
    this.totalLength += sign * length;
    for (let i = 0; i < terms.length; i++) df[terms[i]!]! += sign;
  }

  /** Adds `n` documents that have `term`, in bulk (a segment's posting counts at open). */
  addDocFreqs(docFreq: (term: number) => number): void {
    const df = (this.df ??= new Int32Array(this.vocabSize));
    for (let t = 0; t < this.vocabSize; t++) df[t]! += docFreq(t);
  }

  addTotals(docs: number, length: number): void {
    this.numDocs += docs;
    this.totalLength += length;
  }

  /** A plain copy for stats() and tests: {numDocs, totalLength, df: {term: count}} (non-zero only). */
  toJSON(): { numDocs: number; totalLength: number; df: Record<number, number> } {
    const df: Record<number, number> = {};
    if (this.df) for (let t = 0; t < this.df.length; t++) if (this.df[t] !== 0) df[t] = this.df[t]!;
    return { numDocs: this.numDocs, totalLength: this.totalLength, df };
  }
}
