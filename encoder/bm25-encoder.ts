import { SparseDbError } from "../engine/errors.js";
import type { SparseVector } from "../engine/sparse-vector.js";
import type { Vocabulary } from "../engine/vocabulary.js";
import { BUILTIN_TOKENIZER_NAME } from "./builtin-tokenizer.js";
import { Bm25Statistics } from "./bm25-statistics.js";
import type { Bm25Config, EncodeOptions, Encoder } from "./encoder.js";
import { applyControls, checkOutputControls, decodeVector, toVector } from "./output-controls.js";
import { checkText, checkTexts, DEFAULT_MAX_TOKENS, WordPieceTokenizer } from "./tokenizer.js";
import { countTerms, throwIfAborted } from "./lexical.js";

/**
 * Lexical BM25 as a sparse dot product in the WordPiece term space: a document's weight for a
 * term is its saturated, length-normalized frequency tf (k1 + 1) / (tf + k1 (1 - b + b len/avgLen)),
 * a query's is the term's IDF (times its count in the query), so document . query is the BM25
 * score. Document weights use the statistics at the time they are encoded.
 */
export class Bm25Encoder implements Encoder {
  readonly description: string;
  readonly vocabulary: Vocabulary;
  readonly config: Bm25Config;
  readonly corpusStatistics: Bm25Statistics;
  private readonly tokenizer: WordPieceTokenizer;
  private closed = false;

  constructor(config: Bm25Config, statistics?: unknown) {
    const k1 = config.k1 ?? 0.9;
    const b = config.b ?? 0.4;
    if (!(typeof k1 === "number" && k1 >= 0 && Number.isFinite(k1))) throw new SparseDbError("INVALID_ARGUMENT", `BM25 k1 is ${k1}; it must be a finite number >= 0 (0.9 by default)`);
    if (!(typeof b === "number" && b >= 0 && b <= 1)) throw new SparseDbError("INVALID_ARGUMENT", `BM25 b is ${b}; it must be in 0..1 (0.4 by default)`);
    checkOutputControls(config);
    this.tokenizer = WordPieceTokenizer.load(config.tokenizerPath);
    this.config = {
      ...config,
      tokenizerPath: config.tokenizerPath ?? BUILTIN_TOKENIZER_NAME,
      k1,
      b,
      maxTokens: config.maxTokens ?? DEFAULT_MAX_TOKENS,
      observe: config.observe ?? true,
    };
    this.vocabulary = this.tokenizer.vocabulary;
    this.corpusStatistics = new Bm25Statistics(this.tokenizer, this.config.maxTokens!);
    if (statistics !== undefined) this.corpusStatistics.load(statistics);
    const tok = this.tokenizer.source === BUILTIN_TOKENIZER_NAME ? "BERT's WordPiece vocabulary (bert-base-uncased, built in)" : `WordPiece tokenizer ${this.tokenizer.source}`;
    this.description = `lexical BM25 (no SPLADE model configured), k1=${k1} b=${b}, ${tok} (${this.vocabulary.size} terms)`;
  }

  async encodeDocuments(texts: string[], options: EncodeOptions = {}): Promise<SparseVector[]> {
    this.checkOpen();
    checkTexts(texts);
    throwIfAborted(options.signal);
    const { k1, b, maxTokens } = this.config as Required<Bm25Config>;
    const docs = texts.map((t) => this.tokenizer.contentIds(t, maxTokens));
    if (this.config.observe) for (const ids of docs) this.corpusStatistics.add(ids, 1);
    const avg = this.corpusStatistics.averageLength;
    return docs.map((ids) => {
      const counts = countTerms(ids);
      const norm = avg > 0 ? 1 - b + (b * ids.length) / avg : 1;
      const terms: number[] = [];
      const weights: number[] = [];
      for (const [t, tf] of counts) {
        terms.push(t);
        weights.push((tf * (k1 + 1)) / (tf + k1 * norm));
      }
      return toVector(applyControls(terms, weights, this.config), this.vocabulary.size, "document");
    });
  }

  async encodeQuery(text: string, options: EncodeOptions = {}): Promise<SparseVector> {
    this.checkOpen();
    checkText(text);
    throwIfAborted(options.signal);
    const counts = countTerms(this.tokenizer.contentIds(text, this.config.maxTokens));
    const terms: number[] = [];
    const weights: number[] = [];
    for (const [t, n] of counts) {
      terms.push(t);
      weights.push(n * this.corpusStatistics.idf(t));
    }
    return toVector(applyControls(terms, weights, this.config), this.vocabulary.size, "query");
  }

  decode(v: SparseVector): { token: string; weight: number }[] {
    return decodeVector(v, this.vocabulary);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new SparseDbError("CLOSED", "the encoder is closed; create a new one with createEncoder()");
  }
}
