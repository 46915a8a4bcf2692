import { readFileSync } from "node:fs";
import { SparseDbError } from "../engine/errors.js";
import { checkDenseConfig, type DenseEncoderConfig, type ResolvedDenseConfig } from "./dense-config.js";
import type { EncodeOptions } from "./encoder.js";
import { EncoderPool } from "./encoder-pool.js";
import { resolveModelFolder } from "./model-folder.js";
import { appendDensePooling } from "./onnx/append-dense-pooling.js";
import { loadOnnxRuntime } from "./onnx/onnx-runtime.js";
import { checkText, checkTexts, WordPieceTokenizer } from "./tokenizer.js";
import { unpackDenseResults, type DenseEncodedText, type DenseWorkerSetup } from "./worker-protocol.js";

/** Which side a text is on; a model may want different prefixes for each (queryPrefix, documentPrefix). */
export type DenseRole = "document" | "query";

/** Text in, dense vectors out: what a collection's dense leg sees of its encoder. */
export interface DenseEncoder {
  /** One line for humans, e.g. "dense models/bge-small (pooling appended), mean pooling, normalized, 384 dims, 2 workers x 1 thread". */
  readonly description: string;
  /** The length of every vector. */
  readonly dims: number;
  /** The configuration with every default filled in: persist this to recreate the encoder. */
  readonly config: ResolvedDenseConfig;
  /** One vector of `dims` floats per text, in order (each its own Float32Array). */
  encode(texts: string[], role: DenseRole, options?: EncodeOptions): Promise<Float32Array[]>;
  /** encode([text], "query")[0]. */
  encodeQuery(text: string, options?: EncodeOptions): Promise<Float32Array>;
  /** Frees workers and sessions; the encoder cannot be used afterwards. */
  close(): Promise<void>;
}

/**
 * Builds the dense encoder a (persisted) `{kind: "dense", modelDir, ...}` config describes: loads
 * onnxruntime-node (an optional peer dependency), appends the pooling to the model's graph, and
 * starts the worker pool. A model that cannot run fails here, with a SparseDbError.
 */
export async function createDenseEncoder(config: DenseEncoderConfig): Promise<DenseEncoder> {
  return OnnxDenseEncoder.create(config);
}

/** A BERT-style encoder (Hugging Face folder, ONNX) run in the same worker pool as SPLADE. */
export class OnnxDenseEncoder implements DenseEncoder {
  readonly description: string;
  private closed = false;

  private constructor(
    readonly config: ResolvedDenseConfig,
    readonly dims: number,
    private readonly pool: EncoderPool<DenseEncodedText>,
    modelNote: string,
  ) {
    const w = config.workers, t = config.threadsPerWorker;
    this.description = `dense ${config.modelDir} (${modelNote}), ${config.pooling} pooling, ${config.normalize ? "normalized" : "not normalized"}, ${dims} dims, ${w} worker${w === 1 ? "" : "s"} x ${t} thread${t === 1 ? "" : "s"}`;
  }

  static async create(input: DenseEncoderConfig): Promise<OnnxDenseEncoder> {
    const config = checkDenseConfig(input);
    // Before the files, so that an app without the optional onnxruntime-node learns at once how to add it.
    await loadOnnxRuntime();
    const folder = resolveModelFolder(config.modelDir, "dense");
    const maxPositions = folder.config?.max_position_embeddings;
    if (typeof maxPositions === "number" && config.maxTokens > maxPositions) {
      if (input.maxTokens !== undefined) {
        throw new SparseDbError("INVALID_ARGUMENT", `dense encoder maxTokens is ${config.maxTokens} but ${folder.dir}/config.json says the model has ${maxPositions} positions; use maxTokens <= ${maxPositions}`);
      }
      config.maxTokens = maxPositions;
    }
    const tokenizerText = readFileSync(folder.tokenizerPath, "utf8");
    // Checks the tokenizer file here, with its error, before any worker reads it.
    WordPieceTokenizer.fromJsonText(tokenizerText, folder.tokenizerPath);
    const pooled = appendDensePooling(readFileSync(folder.modelPath), config.pooling, folder.modelPath);
    const configHidden = folder.config?.hidden_size;
    if (pooled.dims !== undefined && typeof configHidden === "number" && configHidden !== pooled.dims) {
      throw new SparseDbError("ENCODER_ERROR", `${folder.dir}: config.json says hidden_size ${configHidden} but ${folder.modelPath} outputs ${pooled.dims} values per token; the folder mixes files of different models`);
    }
    const shared = new SharedArrayBuffer(pooled.bytes.byteLength);
    new Uint8Array(shared).set(pooled.bytes);
    const setup: DenseWorkerSetup = {
      kind: "dense",
      modelBytes: shared,
      modelSource: folder.modelPath,
      inputs: pooled.inputs,
      outputName: pooled.outputName,
      dims: pooled.dims,
      normalize: config.normalize,
      tokenizerJson: tokenizerText,
      tokenizerSource: folder.tokenizerPath,
      intraOpThreads: config.threadsPerWorker,
      maxTokens: config.maxTokens,
      limits: { maxBatch: config.maxBatch, maxBatchTokens: config.maxBatchTokens },
    };
    const pool = new EncoderPool<DenseEncodedText>({ workers: config.workers, setup, maxBatch: config.maxBatch, maxQueue: config.maxQueue, unpack: unpackDenseResults });
    let dims: number;
    try {
      // Loads the session in a worker now, so that a model that cannot run fails here, clearly;
      // the first vector also gives the dims when the graph does not declare them.
      const [first] = await pool.encode(["warm up"], [false]);
      dims = first!.vector.length;
      if (pooled.dims !== undefined && dims !== pooled.dims) {
        throw new SparseDbError("ENCODER_ERROR", `${folder.modelPath} declares ${pooled.dims} values per token but returned ${dims}`);
      }
      if (dims === 0) throw new SparseDbError("ENCODER_ERROR", `${folder.modelPath} returned empty vectors; it is not a usable dense encoder`);
    } catch (err) {
      await pool.close();
      throw err;
    }
    const note = folder.config?.sparsedb_generated ? "generated, not trained" : "pooling appended";
    return new OnnxDenseEncoder(config, dims, pool, note);
  }

  async encode(texts: string[], role: DenseRole, options: EncodeOptions = {}): Promise<Float32Array[]> {
    this.checkOpen();
    checkTexts(texts);
    if (role !== "document" && role !== "query") throw new SparseDbError("INVALID_ARGUMENT", `role is ${JSON.stringify(role)}; use "document" or "query"`);
    const prefix = role === "query" ? this.config.queryPrefix : this.config.documentPrefix;
    const inputs = prefix === "" ? texts : texts.map((t) => prefix + t);
    const encoded = await this.pool.encode(inputs, new Array<boolean>(inputs.length).fill(false), options.signal);
    // Copies: a view would keep the whole task's buffer alive for as long as one vector lives.
    return encoded.map((e) => e.vector.slice());
  }

  async encodeQuery(text: string, options: EncodeOptions = {}): Promise<Float32Array> {
    checkText(text);
    const [v] = await this.encode([text], "query", options);
    return v!;
  }

  /** The pool's worker threads (diagnostics; tests kill one to check recovery). */
  get workerThreads() {
    return this.pool.threads;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new SparseDbError("CLOSED", "the dense encoder is closed; create a new one with createDenseEncoder()");
  }
}
