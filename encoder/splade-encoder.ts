import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { SparseDbError } from "../engine/errors.js";
import type { SparseVector } from "../engine/sparse-vector.js";
import type { Vocabulary } from "../engine/vocabulary.js";
import type { EncodeOptions, Encoder, SpladeConfig } from "./encoder.js";
import { EncoderPool } from "./encoder-pool.js";
import { InferenceFreeQueryEncoder } from "./inference-free-encoder.js";
import { resolveModelFolder } from "./model-folder.js";
import { appendPooling } from "./onnx/append-pooling.js";
import { loadOnnxRuntime } from "./onnx/onnx-runtime.js";
import { checkOutputControls, decodeVector, toVector } from "./output-controls.js";
import { DEFAULT_BATCH_LIMITS } from "./splade-session.js";
import { checkText, checkTexts, DEFAULT_MAX_TOKENS, WordPieceTokenizer } from "./tokenizer.js";
import type { WorkerSetup } from "./worker-protocol.js";

/** Default worker count: one per core up to 4 (each holds a copy of the model's weights). */
export function defaultWorkers(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores));
}

/**
 * A SPLADE model (Hugging Face folder, ONNX) run in a pool of worker threads. The pooling is
 * appended to the graph once here, and the pooled model is shared with every worker.
 */
export class SpladeEncoder implements Encoder {
  readonly description: string;
  readonly vocabulary: Vocabulary;
  readonly config: SpladeConfig;
  private closed = false;

  private constructor(
    config: SpladeConfig,
    private readonly pool: EncoderPool,
    private readonly tokenizer: WordPieceTokenizer,
    private readonly inferenceFreeQueries: InferenceFreeQueryEncoder | undefined,
    modelNote: string,
  ) {
    this.config = config;
    this.vocabulary = tokenizer.vocabulary;
    const w = config.workers!, t = config.threadsPerWorker!;
    this.description = `SPLADE ${config.modelDir} (${modelNote}), ${config.pooling} pooling, queries ${config.queryMode}, ${w} worker${w === 1 ? "" : "s"} x ${t} thread${t === 1 ? "" : "s"}`;
  }

  static async create(config: SpladeConfig): Promise<SpladeEncoder> {
    // First, so that an app without the optional onnxruntime-node learns at once how to add it.
    await loadOnnxRuntime();
    checkOutputControls(config);
    const pooling = config.pooling ?? "max";
    const queryMode = config.queryMode ?? "full";
    if (pooling !== "max" && pooling !== "sum") throw new SparseDbError("INVALID_ARGUMENT", `pooling is "${String(pooling)}"; use "max" (SPLADE v2/++) or "sum" (SPLADE v1)`);
    if (!["full", "no-expansion", "inference-free"].includes(queryMode)) {
      throw new SparseDbError("INVALID_ARGUMENT", `queryMode is "${String(queryMode)}"; use "full", "no-expansion" or "inference-free"`);
    }
    const cores = availableParallelism();
    const workers = config.workers ?? defaultWorkers(cores);
    if (!Number.isInteger(workers) || workers < 1) throw new SparseDbError("INVALID_ARGUMENT", `workers is ${workers}; it must be a positive integer`);
    const threadsPerWorker = config.threadsPerWorker ?? Math.max(1, Math.floor(cores / workers));
    const maxTokens = config.maxTokens ?? DEFAULT_MAX_TOKENS;
    if (!Number.isInteger(maxTokens) || maxTokens < 2) throw new SparseDbError("INVALID_ARGUMENT", `maxTokens is ${maxTokens}; it must be an integer >= 2 ([CLS] and [SEP] count)`);
    const limits = { maxBatch: config.maxBatch ?? DEFAULT_BATCH_LIMITS.maxBatch, maxBatchTokens: config.maxBatchTokens ?? DEFAULT_BATCH_LIMITS.maxBatchTokens };

    const folder = resolveModelFolder(config.modelDir);
    const tokenizerText = readFileSync(folder.tokenizerPath, "utf8");
    const tokenizer = WordPieceTokenizer.fromJsonText(tokenizerText, folder.tokenizerPath);
    const configVocab = folder.config?.vocab_size;
    if (typeof configVocab === "number" && configVocab !== tokenizer.vocabulary.size) {
      throw new SparseDbError("ENCODER_ERROR", `${folder.dir}: config.json says vocab_size ${configVocab} but tokenizer.json has ${tokenizer.vocabulary.size} terms; the folder mixes files of different models`);
    }
    const pooled = appendPooling(readFileSync(folder.modelPath), pooling, folder.modelPath);
    if (pooled.vocabSize !== undefined && pooled.vocabSize !== tokenizer.vocabulary.size) {
      throw new SparseDbError("ENCODER_ERROR", `${folder.modelPath} outputs ${pooled.vocabSize} terms per token but tokenizer.json has ${tokenizer.vocabulary.size}; use the tokenizer the model was trained with`);
    }
    let inferenceFree: InferenceFreeQueryEncoder | undefined;
    if (queryMode === "inference-free") {
      if (typeof config.idfPath !== "string") throw new SparseDbError("INVALID_ARGUMENT", 'queryMode "inference-free" needs idfPath: a JSON object token -> IDF weight');
      inferenceFree = InferenceFreeQueryEncoder.load(config.idfPath, tokenizer, maxTokens, config);
    }
    const shared = new SharedArrayBuffer(pooled.bytes.byteLength);
    new Uint8Array(shared).set(pooled.bytes);
    const setup: WorkerSetup = {
      kind: "splade",
      modelBytes: shared,
      modelSource: folder.modelPath,
      inputs: pooled.inputs,
      outputName: pooled.outputName,
      vocabSize: pooled.vocabSize,
      tokenizerJson: tokenizerText,
      tokenizerSource: folder.tokenizerPath,
      intraOpThreads: threadsPerWorker,
      maxTokens,
      limits,
      controls: { topN: config.topN, minWeight: config.minWeight },
    };
    const pool = new EncoderPool({ workers, setup, maxBatch: limits.maxBatch, maxQueue: config.maxQueue });
    const resolved: SpladeConfig = { ...config, pooling, queryMode, workers, threadsPerWorker, maxTokens, maxBatch: limits.maxBatch, maxBatchTokens: limits.maxBatchTokens };
    const note = folder.config?.sparsedb_generated ? "generated, not trained" : pooled.alreadyPooled ? "pooled in the model" : "pooling appended";
    const encoder = new SpladeEncoder(resolved, pool, tokenizer, inferenceFree, note);
    try {
      // Loads the session in a worker now, so that a model that cannot run fails here, clearly.
      await pool.encode(["warm up"], [false]);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return encoder;
  }

  async encodeDocuments(texts: string[], options: EncodeOptions = {}): Promise<SparseVector[]> {
    this.checkOpen();
    checkTexts(texts);
    const encoded = await this.pool.encode(texts, new Array(texts.length).fill(false), options.signal);
    return encoded.map((e) => toVector(e, this.vocabulary.size, "document"));
  }

  async encodeQuery(text: string, options: EncodeOptions = {}): Promise<SparseVector> {
    this.checkOpen();
    checkText(text);
    if (this.inferenceFreeQueries) return this.inferenceFreeQueries.encode(text);
    const [e] = await this.pool.encode([text], [this.config.queryMode === "no-expansion"], options.signal);
    return toVector(e!, this.vocabulary.size, "query");
  }

  /** The text's own word pieces, to tell them from expansion terms (Encoder.textTermIds). */
  textTermIds(text: string): number[] {
    this.checkOpen();
    checkText(text);
    return this.tokenizer.contentIds(text, this.config.maxTokens);
  }

  decode(v: SparseVector): { token: string; weight: number }[] {
    return decodeVector(v, this.vocabulary);
  }

  /** The pool's worker threads (diagnostics; tests kill one to check recovery). */
  get workerThreads() {
    return this.pool.threads;
  }

  /** The tokenizer the model was trained with (token counts for benchmarks). */
  get wordPieceTokenizer(): WordPieceTokenizer {
    return this.tokenizer;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new SparseDbError("CLOSED", "the encoder is closed; create a new one with createEncoder()");
  }
}
