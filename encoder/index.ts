// The encoder's public surface: what engine/, the CLI and benchmarks import.
export type { Encoder, EncoderConfig, SpladeConfig, Bm25Config, InferenceFreeConfig, EncodeOptions, CorpusStatistics } from "./encoder.js";
export { createEncoder, defaultEncoderConfig, type CreateEncoderOptions } from "./create-encoder.js";
export { SpladeEncoder, defaultWorkers } from "./splade-encoder.js";
export { Bm25Encoder } from "./bm25-encoder.js";
export { Bm25Statistics, type Bm25StatisticsJson } from "./bm25-statistics.js";
export { InferenceFreeEncoder } from "./inference-free-encoder.js";
export { WordPieceTokenizer, DEFAULT_MAX_TOKENS } from "./tokenizer.js";
export { BUILTIN_TOKENIZER_NAME } from "./builtin-tokenizer.js";
export { bertTokenizerPath, inferenceFreeIdfPath, referenceDataDir } from "./data-paths.js";
export { pullModel, DEFAULT_HUB_URL, type PullOptions, type PullProgress, type PullResult } from "./pull-model.js";
export { progressPrinter, formatProgress } from "./progress-bar.js";
export { resolveModelFolder } from "./model-folder.js";
export { generateModelFolder, type GenerateModelOptions } from "./model-gen/generate-model.js";
export { SAMPLE_TEXTS } from "./sample-texts.js";
