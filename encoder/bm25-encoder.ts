import { SparseDbError } from "../engine/errors.js";
import type { SparseVector } from "../engine/sparse-vector.js";
import type { Vocabulary } from "../engine/vocabulary.js";
import { BUILTIN_TOKENIZER_NAME } from "./builtin-tokenizer.js";
import { Bm25Analyzer } from "./bm25-analyzer.js";
import { bm25Idf, Bm25Statistics } from "./bm25-statistics.js";
import type { Bm25Config, CorpusDependence, CorpusStatisticsView, EncodeOptions, Encoder } from "./encoder.js";
import { applyControls, checkOutputControls, decodeVector, toVector } from "./output-controls.js";
import { checkText, checkTexts, WordPieceTokenizer } from "./tokenizer.js";
import { countTerms, throwIfAborted } from "./lexical.js";
import { checkBm25Options } from "./bm25-options.js";

/**
 * Lexical BM25 as a sparse dot product in the WordPiece term space.
 *
 * Fixed when a document is indexed (its stored vector): per term, the saturated,
 * length-normalized frequency tf (k1 + 1) / (tf + k1 (1 - b + b len / avgdl)), with avgdl the
 * mean length of the statistics' documents at that moment (of the batch itself while the
 * statistics hold none). Computed when a query is encoded: each query term's IDF from the
 * statistics as they are then, ln(1 + (N - df + 0.5) / (df + 0.5)), times its count in the query.
 * So document . query is the BM25 score, with IDF always from the live statistics and only the
 * length normalization frozen at indexing time (re-index to renormalize).
 *
 * The statistics are a collection's live ones once it attaches them (corpus.attach); before
 * that, or standing alone, the encoder's own, which only observe()/forget() change.
 */
export class Bm25Encoder implements Encoder {
  readonly description: string;
  readonly vocabulary: Vocabulary;
  readonly config: Bm25Config;
  readonly corpus: CorpusDependence;
  /** The encoder's own statistics, read while no collection is attached. */
  readonly ownStatistics = new Bm25Statistics();
  private statistics: CorpusStatisticsView = this.ownStatistics;
  private attached = false;
  private readonly tokenizer: WordPieceTokenizer;
  private readonly analyzer: Bm25Analyzer;
  private closed = false;

  constructor(config: Bm25Config) {
    const options = checkBm25Options(config);
    checkOutputControls(config);
    this.tokenizer = WordPieceTokenizer.load(config.tokenizerPath);
    // `observe` was a key of older configs (statistics counted by the encoder); it has no meaning now.
    const { observe: _legacy, ...rest } = config as Bm25Config & { observe?: unknown };
    this.config = { ...rest, tokenizerPath: config.tokenizerPath ?? BUILTIN_TOKENIZER_NAME, ...options };
    this.vocabulary = this.tokenizer.vocabulary;
    this.analyzer = new Bm25Analyzer(this.vocabulary, options);
    const tok = this.tokenizer.source === BUILTIN_TOKENIZER_NAME ? "BERT's WordPiece vocabulary (bert-base-uncased, built in)" : `WordPiece tokenizer ${this.tokenizer.source}`;
    const analysis = `${options.dropPunctuation ? "punctuation dropped" : "punctuation kept"}, stopwords ${options.stopwords}`;
    this.description = `lexical BM25 (no SPLADE model configured), k1=${options.k1} b=${options.b}, ${analysis}, ${tok} (${this.vocabulary.size} terms)`;
    this.corpus = {
      attach: (statistics) => this.attach(statistics),
      encodeDocumentsWithLengths: (texts, o) => this.encode(texts, o ?? {}),
    };
  }

  /** The term ids BM25 counts for a text: its word pieces (truncated to maxTokens) after analysis. */
  analyze(text: string): number[] {
    return this.analyzer.filter(this.tokenizer.contentIds(text, this.config.maxTokens));
  }

  /** Counts texts into the encoder's own statistics (standalone use; a collection counts its own). */
  observe(texts: string[]): void {
    checkTexts(texts);
    for (const t of texts) this.ownStatistics.add(this.analyze(t), 1);
  }

  /** Takes texts counted by observe() out again. */
  forget(texts: string[]): void {
    checkTexts(texts);
    for (const t of texts) this.ownStatistics.add(this.analyze(t), -1);
  }

  async encodeDocuments(texts: string[], options: EncodeOptions = {}): Promise<SparseVector[]> {
    return (await this.encode(texts, options)).vectors;
  }

  async encodeQuery(text: string, options: EncodeOptions = {}): Promise<SparseVector> {
    this.checkOpen();
    checkText(text);
    throwIfAborted(options.signal);
    const terms: number[] = [];
    const weights: number[] = [];
    for (const [t, n] of countTerms(this.analyze(text))) {
      terms.push(t);
      weights.push(n * bm25Idf(this.statistics, t));
    }
    return toVector(applyControls(terms, weights, this.config), this.vocabulary.size, "query");
  }

  decode(v: SparseVector): { token: string; weight: number }[] {
    return decodeVector(v, this.vocabulary);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async encode(texts: string[], options: EncodeOptions): Promise<{ vectors: SparseVector[]; lengths: number[] }> {
    this.checkOpen();
    checkTexts(texts);
    throwIfAborted(options.signal);
    const { k1, b } = this.config as Required<Bm25Config>;
    const docs = texts.map((t) => this.analyze(t));
    const s = this.statistics;
    const avg = s.numDocs > 0 ? s.totalLength / s.numDocs : docs.reduce((n, d) => n + d.length, 0) / Math.max(1, docs.length);
    const vectors = docs.map((ids) => {
      const norm = avg > 0 ? 1 - b + (b * ids.length) / avg : 1;
      const terms: number[] = [];
      const weights: number[] = [];
      for (const [t, tf] of countTerms(ids)) {
        terms.push(t);
        weights.push((tf * (k1 + 1)) / (tf + k1 * norm));
      }
      return toVector(applyControls(terms, weights, this.config), this.vocabulary.size, "document");
    });
    return { vectors, lengths: docs.map((d) => d.length) };
  }

  private attach(statistics: CorpusStatisticsView): () => void {
    if (this.attached) {
      throw new SparseDbError("INVALID_ARGUMENT", "this BM25 encoder already serves an open collection; create one encoder per collection");
    }
    this.attached = true;
    this.statistics = statistics;
    return () => {
      if (this.statistics !== statistics) return;
      this.statistics = this.ownStatistics;
      this.attached = false;
    };
  }

  private checkOpen(): void {
    if (this.closed) throw new SparseDbError("CLOSED", "the encoder is closed; create a new one with createEncoder()");
  }
}
