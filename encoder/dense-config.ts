import { availableParallelism } from "node:os";
import { SparseDbError } from "../engine/errors.js";
import type { DensePooling } from "./onnx/append-dense-pooling.js";
import { DEFAULT_BATCH_LIMITS } from "./splade-session.js";
import { defaultWorkers } from "./splade-encoder.js";
import { DEFAULT_MAX_TOKENS } from "./tokenizer.js";

/** How a dense vector for text is made: plain JSON, so that a collection can persist it. */
export interface DenseEncoderConfig {
  kind: "dense";
  /** A Hugging Face model folder: model.onnx or onnx/model.onnx with a last_hidden_state output, tokenizer.json. */
  modelDir: string;
  /** "mean" over the attended tokens (default; sentence-transformers' usual) or "cls" (the first token). */
  pooling?: DensePooling;
  /** L2-normalise each vector (default true: cosine and dot then agree). */
  normalize?: boolean;
  /** Put before every query text (e.g. "query: " for E5 models). Default "". */
  queryPrefix?: string;
  /** Put before every document text (e.g. "passage: " for E5 models). Default "". */
  documentPrefix?: string;
  /** Truncation in WordPiece tokens, [CLS] and [SEP] included (512 by default). */
  maxTokens?: number;
  /** Worker threads (default: one per core, at most 4). */
  workers?: number;
  /** ONNX Runtime intra-op threads per worker (default: cores / workers). */
  threadsPerWorker?: number;
  /** Most texts per model call (default 32). */
  maxBatch?: number;
  /** Most padded tokens per model call (default 2048). */
  maxBatchTokens?: number;
  /** Most texts waiting for a worker; further callers wait for room (default 4096). */
  maxQueue?: number;
}

/** A dense config with every default filled in (what `DenseEncoder.config` returns). */
export type ResolvedDenseConfig = Required<DenseEncoderConfig>;

const DENSE_KEYS = ["kind", "modelDir", "pooling", "normalize", "queryPrefix", "documentPrefix", "maxTokens", "workers", "threadsPerWorker", "maxBatch", "maxBatchTokens", "maxQueue"];
const DEFAULT_MAX_QUEUE = 4096;

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", `dense encoder ${message}`);
}

function positiveInteger(config: DenseEncoderConfig, key: keyof DenseEncoderConfig, fallback: number, min = 1): number {
  const v = config[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw bad(`${key} is ${JSON.stringify(v)}; it must be an integer >= ${min}`);
  return v;
}

/** Checks a dense encoder config and fills in its defaults; every error names the key and what it may be. */
export function checkDenseConfig(config: DenseEncoderConfig): ResolvedDenseConfig {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw bad('config must be an object such as {kind: "dense", modelDir: "models/bge-small-en", pooling: "cls"}');
  }
  if (config.kind !== "dense") throw bad(`config has kind ${JSON.stringify(config.kind)}; it must be "dense"`);
  for (const key of Object.keys(config)) {
    if (!DENSE_KEYS.includes(key)) throw bad(`config has an unknown key "${key}"; known keys: ${DENSE_KEYS.join(", ")}`);
  }
  if (typeof config.modelDir !== "string" || config.modelDir === "") {
    throw bad("modelDir must be the path of a model folder (model.onnx or onnx/model.onnx with a last_hidden_state output, tokenizer.json)");
  }
  const { pooling = "mean", normalize = true, queryPrefix = "", documentPrefix = "" } = config;
  if (pooling !== "mean" && pooling !== "cls") throw bad(`pooling is ${JSON.stringify(pooling)}; use "mean" (default) or "cls"`);
  if (typeof normalize !== "boolean") throw bad(`normalize is ${JSON.stringify(normalize)}; it must be true (default) or false`);
  if (typeof queryPrefix !== "string") throw bad(`queryPrefix is ${JSON.stringify(queryPrefix)}; it must be a string`);
  if (typeof documentPrefix !== "string") throw bad(`documentPrefix is ${JSON.stringify(documentPrefix)}; it must be a string`);
  const cores = availableParallelism();
  const workers = positiveInteger(config, "workers", defaultWorkers(cores));
  return {
    kind: "dense",
    modelDir: config.modelDir,
    pooling,
    normalize,
    queryPrefix,
    documentPrefix,
    maxTokens: positiveInteger(config, "maxTokens", DEFAULT_MAX_TOKENS, 2),
    workers,
    threadsPerWorker: positiveInteger(config, "threadsPerWorker", Math.max(1, Math.floor(cores / workers))),
    maxBatch: positiveInteger(config, "maxBatch", DEFAULT_BATCH_LIMITS.maxBatch),
    maxBatchTokens: positiveInteger(config, "maxBatchTokens", DEFAULT_BATCH_LIMITS.maxBatchTokens),
    maxQueue: positiveInteger(config, "maxQueue", DEFAULT_MAX_QUEUE),
  };
}
