import { SparseDbError } from "../engine/errors.js";
import type { SparseVector } from "../engine/sparse-vector.js";
import type { Vocabulary } from "../engine/vocabulary.js";
import { BUILTIN_TOKENIZER_NAME } from "./builtin-tokenizer.js";
import type { EncodeOptions, Encoder, InferenceFreeConfig } from "./encoder.js";
import { loadIdfTable } from "./idf-table.js";
import { countTerms, throwIfAborted } from "./lexical.js";
import { applyControls, checkOutputControls, decodeVector, toVector, type OutputControls } from "./output-controls.js";
import { checkText, checkTexts, DEFAULT_MAX_TOKENS, WordPieceTokenizer } from "./tokenizer.js";

/** Saturation of a document's term frequency: tf (K1 + 1) / (tf + K1). */
const K1 = 1.2;

/**
 * Query weights from a tokenizer and an IDF table, no model (OpenSearch's inference-free
 * scheme): each distinct query token weighs its IDF. Used alone (kind "inference-free"), the
 * document side is lexical too: saturated term frequency, no length normalization or corpus
 * statistics, so document . query is a fixed-IDF BM25 with b = 0.
 */
export class InferenceFreeQueryEncoder {
  constructor(
    readonly tokenizer: WordPieceTokenizer,
    private readonly idf: Float32Array,
    private readonly maxTokens: number,
    private readonly controls: OutputControls,
  ) {}

  static load(idfPath: string, tokenizer: WordPieceTokenizer, maxTokens: number, controls: OutputControls): InferenceFreeQueryEncoder {
    return new InferenceFreeQueryEncoder(tokenizer, loadIdfTable(idfPath, tokenizer.vocabulary), maxTokens, controls);
  }

  encode(text: string): SparseVector {
    checkText(text);
    const terms = [...countTerms(this.tokenizer.contentIds(text, this.maxTokens)).keys()];
    const weights = terms.map((t) => this.idf[t]!);
    return toVector(applyControls(terms, weights, this.controls), this.tokenizer.vocabulary.size, "query");
  }
}

export class InferenceFreeEncoder implements Encoder {
  readonly description: string;
  readonly vocabulary: Vocabulary;
  readonly config: InferenceFreeConfig;
  private readonly tokenizer: WordPieceTokenizer;
  private readonly queries: InferenceFreeQueryEncoder;
  private closed = false;

  constructor(config: InferenceFreeConfig) {
    if (typeof config.idfPath !== "string") {
      throw new SparseDbError("INVALID_ARGUMENT", "an inference-free encoder needs idfPath: a JSON object token -> IDF weight");
    }
    checkOutputControls(config);
    this.tokenizer = WordPieceTokenizer.load(config.tokenizerPath);
    this.config = { ...config, tokenizerPath: config.tokenizerPath ?? BUILTIN_TOKENIZER_NAME, maxTokens: config.maxTokens ?? DEFAULT_MAX_TOKENS };
    this.vocabulary = this.tokenizer.vocabulary;
    this.queries = InferenceFreeQueryEncoder.load(config.idfPath, this.tokenizer, this.config.maxTokens!, config);
    this.description = `inference-free: IDF table ${config.idfPath} for queries, saturated term frequency for documents (no model), tokenizer ${this.tokenizer.source} (${this.vocabulary.size} terms)`;
  }

  async encodeDocuments(texts: string[], options: EncodeOptions = {}): Promise<SparseVector[]> {
    this.checkOpen();
    checkTexts(texts);
    throwIfAborted(options.signal);
    return texts.map((text) => {
      const counts = countTerms(this.tokenizer.contentIds(text, this.config.maxTokens));
      const terms = [...counts.keys()];
      const weights = terms.map((t) => (counts.get(t)! * (K1 + 1)) / (counts.get(t)! + K1));
      return toVector(applyControls(terms, weights, this.config), this.vocabulary.size, "document");
    });
  }

  async encodeQuery(text: string, options: EncodeOptions = {}): Promise<SparseVector> {
    this.checkOpen();
    throwIfAborted(options.signal);
    return this.queries.encode(text);
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
