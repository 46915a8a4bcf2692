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
  /** `[{token, weight}]`, heaviest first. */
  decode(v: SparseVector): { token: string; weight: number }[];
  /**
   * Corpus statistics that change as documents are added (BM25's document frequencies and
   * average length); absent for encoders that have none. The owner persists `toJSON()` and passes
   * it back through createEncoder's `statistics` option.
   */
  readonly corpusStatistics?: CorpusStatistics;
  /** Frees workers and sessions; the encoder cannot be used afterwards. */
  close(): Promise<void>;
}

export interface EncodeOptions {
  /** Aborting rejects the call with SparseDbError("CANCELLED"); queued work is dropped. */
  signal?: AbortSignal;
}

export interface CorpusStatistics {
  readonly numDocs: number;
  /** Counts these documents in (encodeDocuments does it by default; see Bm25Config.observe). */
  observe(texts: string[]): void;
  /** Takes these documents out again (on delete). */
  forget(texts: string[]): void;
  toJSON(): object;
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
  /** Length normalization (default 0.4, Anserini's). */
  b?: number;
  /** Whether encodeDocuments counts its texts into the corpus statistics first (default true). */
  observe?: boolean;
}

/** Plain JSON, so that a collection can persist it. */
export type EncoderConfig = SpladeConfig | InferenceFreeConfig | Bm25Config;
