import { SparseDbError } from "../engine/errors.js";
import { Bm25Encoder } from "./bm25-encoder.js";
import { BUILTIN_TOKENIZER_NAME } from "./builtin-tokenizer.js";
import type { Encoder, EncoderConfig } from "./encoder.js";
import { InferenceFreeEncoder } from "./inference-free-encoder.js";
import { SpladeEncoder } from "./splade-encoder.js";

/** Builds the encoder a (persisted) configuration describes. */
export async function createEncoder(config: EncoderConfig): Promise<Encoder> {
  if (config === null || typeof config !== "object") {
    throw new SparseDbError("INVALID_ARGUMENT", 'encoder config must be an object such as {kind: "bm25"} or {kind: "splade", modelDir}');
  }
  switch (config.kind) {
    case "splade":
      return SpladeEncoder.create(config);
    case "inference-free":
      return new InferenceFreeEncoder(config);
    case "bm25":
      return new Bm25Encoder(config);
    case "dense" as EncoderConfig["kind"]:
      throw new SparseDbError("INVALID_ARGUMENT", 'encoder kind "dense" makes dense vectors, not sparse ones: create it with createDenseEncoder(config) (a collection\'s dense.encoder)');
    default:
      throw new SparseDbError("INVALID_ARGUMENT", `unknown encoder kind "${String((config as { kind?: unknown }).kind)}"; use "splade", "inference-free" or "bm25"`);
  }
}

/**
 * The configuration to use when none is given: lexical BM25 (no SPLADE model configured) over
 * BERT's WordPiece vocabulary, shipped in the package. `{kind: "bm25"}` without a tokenizerPath
 * is the same encoder: there is one default vocabulary everywhere.
 */
export function defaultEncoderConfig(): EncoderConfig {
  return { kind: "bm25", tokenizerPath: BUILTIN_TOKENIZER_NAME };
}
