// The encoder's public surface: what engine/, the CLI and benchmarks import.
export type { Encoder, EncoderConfig, SpladeConfig, Bm25Config, InferenceFreeConfig, EncodeOptions, CorpusStatisticsView, CorpusDependence } from "./encoder.js";
export { createEncoder, defaultEncoderConfig } from "./create-encoder.js";
export { SpladeEncoder, defaultWorkers } from "./splade-encoder.js";
export { createDenseEncoder, OnnxDenseEncoder, type DenseEncoder, type DenseRole } from "./dense-encoder.js";
export { checkDenseConfig, type DenseEncoderConfig, type ResolvedDenseConfig } from "./dense-config.js";
export { Bm25Encoder } from "./bm25-encoder.js";
export { Bm25Statistics, bm25Idf } from "./bm25-statistics.js";
export { ENGLISH_STOPWORDS } from "./stopwords.js";
export { checkBm25Options, DEFAULT_BM25_K1, DEFAULT_BM25_B } from "./bm25-options.js";
export { InferenceFreeEncoder } from "./inference-free-encoder.js";
export { WordPieceTokenizer, DEFAULT_MAX_TOKENS } from "./tokenizer.js";
export { BUILTIN_TOKENIZER_NAME } from "./builtin-tokenizer.js";
export { bertTokenizerPath, inferenceFreeIdfPath, referenceDataDir } from "./data-paths.js";
export { pullModel, DEFAULT_HUB_URL, type PullOptions, type PullProgress, type PullResult } from "./pull-model.js";
export { progressPrinter, formatProgress } from "./progress-bar.js";
export { resolveModelFolder } from "./model-folder.js";
export { generateModelFolder, type GenerateModelOptions } from "./model-gen/generate-model.js";
export { SAMPLE_TEXTS } from "./sample-texts.js";
