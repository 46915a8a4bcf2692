import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { createEncoder } from "../../encoder/create-encoder.js";
import type { Encoder, EncoderConfig } from "../../encoder/encoder.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { BERT_TOKENIZER_PATH, sharedDataPath } from "../readers/shared-data.js";
import type { BenchItem } from "./inputs.js";
import type { MsmarcoOptions } from "./options.js";
import { ProgressBar } from "./progress.js";

export const INFERENCE_FREE_IDF_PATH = "idf/opensearch-inference-free-idf.json";

/** The encoder config the options ask for, or undefined when every vector comes from a file. */
export function encoderConfigFor(options: MsmarcoOptions): EncoderConfig | undefined {
  const tokenizerPath = options.tokenizer ?? sharedDataPath(BERT_TOKENIZER_PATH);
  switch (options.encoder) {
    case undefined:
      return undefined;
    case "splade":
      return { kind: "splade", modelDir: options.modelDir! };
    case "inference-free":
      return { kind: "inference-free", idfPath: options.idf ?? sharedDataPath(INFERENCE_FREE_IDF_PATH), tokenizerPath };
    case "bm25":
      // Statistics are counted over the whole subset before any document is encoded (see encodeDocuments).
      return { ...options.bm25, kind: "bm25", tokenizerPath };
  }
}

export function openEncoder(config: EncoderConfig): Promise<Encoder> {
  return createEncoder(config);
}

export interface EncodeFigures {
  /** How many texts were encoded (0 when the vectors came from a file). */
  texts: number;
  seconds: number;
  /** Texts per second, wall clock (the encoder may use several workers). */
  perSecond: number;
}

const DOCUMENT_BATCH = 256;
const QUERY_CONCURRENCY = 64;

/** Gives every document without a vector one, in batches through the encoder (its worker pool). */
export async function encodeDocuments(items: BenchItem[], encoder: Encoder | undefined, quiet: boolean): Promise<EncodeFigures> {
  const todo = items.filter((d) => d.vector === undefined);
  if (todo.length === 0 || encoder === undefined) return { texts: 0, seconds: 0, perSecond: 0 };
  // BM25 needs the corpus statistics of the whole subset before it weighs any document.
  // (Standalone, so into the encoder's own statistics: the benchmark indexes vectors, not texts.)
  if (encoder instanceof Bm25Encoder) encoder.observe(todo.map((d) => d.text ?? ""));
  const bar = new ProgressBar("encoding documents", todo.length, !quiet && process.stderr.isTTY === true);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < todo.length; i += DOCUMENT_BATCH) {
    const batch = todo.slice(i, i + DOCUMENT_BATCH);
    inFlight.push(
      encoder.encodeDocuments(batch.map((d) => d.text ?? "")).then((vectors: SparseVector[]) => {
        batch.forEach((d, j) => (d.vector = vectors[j]!));
        bar.advance(batch.length);
      }),
    );
    // A few batches in flight keep every worker busy without queueing the whole corpus.
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  bar.finish();
  return figures(todo.length, started);
}

/** Gives every query without a vector one, a bounded number of encodeQuery calls at a time. */
export async function encodeQueries(items: BenchItem[], encoder: Encoder | undefined, quiet: boolean): Promise<EncodeFigures> {
  const todo = items.filter((q) => q.vector === undefined);
  if (todo.length === 0 || encoder === undefined) return { texts: 0, seconds: 0, perSecond: 0 };
  const bar = new ProgressBar("encoding queries", todo.length, !quiet && process.stderr.isTTY === true);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const q = todo[next++]!;
      q.vector = await encoder.encodeQuery(q.text ?? "");
      bar.advance();
    }
  };
  await Promise.all(Array.from({ length: Math.min(QUERY_CONCURRENCY, todo.length) }, worker));
  bar.finish();
  return figures(todo.length, started);
}

function figures(texts: number, started: number): EncodeFigures {
  const seconds = (performance.now() - started) / 1000;
  return { texts, seconds, perSecond: seconds > 0 ? texts / seconds : 0 };
}
