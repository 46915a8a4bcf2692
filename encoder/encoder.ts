import type { SparseVector } from "../engine/sparse-vector.js";
import type { Vocabulary } from "../engine/vocabulary.js";

/**
 * What the rest of sparsedb sees of the encoder: text in, sparse vectors out. Implementations:
 * SpladeEncoder (an ONNX model in a pool of worker threads), Bm25Encoder (lexical, the default
 * when no SPLADE model is configured) and InferenceFreeEncoder (tokenizer + IDF table).
 */
export interface Encoder {
  /** One line for humans, e.g. "lexical BM25 (no SPLADE model configured) ...". */
  readonly description: string;
  /** The term space of the vectors: term id -> WordPiece token. */
  readonly vocabulary: Vocabulary;
  /** The configuration with every default filled in: persist this to recreate the encoder. */
  readonly config: EncoderConfig;
  /** One document vector per text, in order. Empty text gives an empty vector. */
  encodeDocuments(texts: string[], options?: EncodeOptions): Promise<SparseVector[]>;
  /** A query vector (role "query"). */
  encodeQuery(text: string, options?: EncodeOptions): Promise<SparseVector>;
  /**
   * Present for encoders whose vectors can hold terms that are not in the text (SPLADE's
   * expansion): the term ids of the text's own word pieces, as this encoder's tokenizer cuts it
   * (special tokens left out, truncated to maxTokens). Absent where every term comes from the
   * text (BM25, inference-free).
   */
  textTermIds?(text: string): number[];
  /** `[{token, weight}]`, heaviest first. */
  decode(v: SparseVector): { token: string; weight: number }[];
  /**
   * Present for encoders whose weights depend on corpus statistics (BM25); absent for the others.
   * A collection attaches its live statistics here (see CorpusDependence).
   */
  readonly corpus?: CorpusDependence;
  /** Frees workers and sessions; the encoder cannot be used afterwards. */
  close(): Promise<void>;
}

export interface EncodeOptions {
  /** Aborting rejects the call with SparseDbError("CANCELLED"); queued work is dropped. */
  signal?: AbortSignal;
}

/**
 * Corpus statistics as BM25 reads them: the documents counted, their total length (in the units
 * the encoder reports with each document) and each term's document frequency. A collection keeps
 * them equal to its live documents (engine/collection/corpus-statistics.ts).
 */
export interface CorpusStatisticsView {
  readonly numDocs: number;
  readonly totalLength: number;
  docFreq(term: number): number;
}

/** How an encoder whose weights depend on the corpus meets the collection that owns the corpus. */
export interface CorpusDependence {
  /**
   * Makes the encoder read `statistics` (IDF of queries, average length for new documents) until
   * the returned function is called. One owner at a time: attaching while attached is an error.
   */
  attach(statistics: CorpusStatisticsView): () => void;
  /** encodeDocuments, plus each text's length as the statistics count it. */
  encodeDocumentsWithLengths(texts: string[], options?: EncodeOptions): Promise<{ vectors: SparseVector[]; lengths: number[] }>;
}

/** Controls every kind accepts. */
export interface CommonEncoderConfig {
  /** Truncation in WordPiece tokens, [CLS] and [SEP] included (512 by default). */
  maxTokens?: number;
  /** Keep only the topN heaviest terms of each vector. */
  topN?: number;
  /** Drop terms whose weight is not above this. */
  minWeight?: number;
}

export interface SpladeConfig extends CommonEncoderConfig {
  kind: "splade";
  /** A Hugging Face model folder: model.onnx or onnx/model.onnx, tokenizer.json (config.json). */
  modelDir: string;
  /** "max" (SPLADE v2, SPLADE++) or "sum" (SPLADE v1). Default "max". */
  pooling?: "max" | "sum";
  /**
   * Queries: "full" runs the model; "no-expansion" runs it and keeps only the query's own
   * tokens; "inference-free" uses the tokenizer and the IDF table at idfPath, no model.
   */
  queryMode?: "full" | "no-expansion" | "inference-free";
  idfPath?: string;
  /** Worker threads (default: one per core, at most 4; workers x intra-op threads = cores). */
  workers?: number;
  /** ONNX Runtime intra-op threads per worker (default: cores / workers). */
  threadsPerWorker?: number;
  /** Most texts per model call (default 32). */
  maxBatch?: number;
  /** Most padded tokens per model call (default 2048; the logits inside the session are this x vocab floats). */
  maxBatchTokens?: number;
  /** Most texts waiting for a worker; further callers wait for room (default 4096). */
  maxQueue?: number;
}

export interface InferenceFreeConfig extends CommonEncoderConfig {
  kind: "inference-free";
  /** JSON object token -> IDF weight (e.g. shared data idf/opensearch-inference-free-idf.json). */
  idfPath: string;
  /** A tokenizer.json; absent means the built-in bert-base-uncased tokenizer. */
  tokenizerPath?: string;
}

export interface Bm25Config extends CommonEncoderConfig {
  kind: "bm25";
  /** A tokenizer.json; absent means the built-in bert-base-uncased tokenizer. */
  tokenizerPath?: string;
  /** Term-frequency saturation (default 0.9, Anserini's). */
  k1?: number;
  /** Length normalization, 0..1 (default 0.4, Anserini's). */
  b?: number;
  /** Drop word pieces made only of punctuation or symbols, in documents and queries (default true). */
  dropPunctuation?: boolean;
  /** "english" drops the 33 words of Lucene's English stopword list; "none" (default) keeps all. */
  stopwords?: "none" | "english";
}

/** Plain JSON, so that a collection can persist it. */
export type EncoderConfig = SpladeConfig | InferenceFreeConfig | Bm25Config;
