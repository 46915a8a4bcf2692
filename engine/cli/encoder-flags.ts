import { resolve } from "node:path";
import type { EncoderConfig } from "../../encoder/index.js";
import { UsageError } from "./cli-io.js";
import type { OptionSpec } from "./cli-args.js";
import { BM25_HELP, BM25_OPTIONS, bm25FromFlags, hasBm25OnlyFlags } from "./bm25-flags.js";
import { METRIC_HELP, METRIC_OPTIONS } from "./metric-flag.js";
import { DENSE_CONFIG_HELP, DENSE_CONFIG_OPTIONS } from "./dense-flags.js";

export const ENCODER_OPTIONS: OptionSpec = {
  model: { type: "string" },
  encoder: { type: "string" },
  idf: { type: "string" },
  tokenizer: { type: "string" },
  ...BM25_OPTIONS,
  ...METRIC_OPTIONS,
  ...DENSE_CONFIG_OPTIONS,
};

export const ENCODER_HELP = `      --model DIR        a SPLADE model folder (model.onnx, tokenizer.json); default $SPARSEDB_MODEL
      --encoder KIND     splade | inference-free | bm25 (default: splade with --model, else bm25)
      --idf PATH         IDF table (token -> weight JSON) for inference-free
      --tokenizer PATH   tokenizer.json for bm25 / inference-free (default: the built-in bert-base-uncased;
                         the file is copied into the collection's folder)
${BM25_HELP}
${METRIC_HELP}
${DENSE_CONFIG_HELP}`;

/**
 * The encoder a new collection gets from the command line, or undefined for the database's
 * default (lexical BM25). Only used when a command creates a collection.
 */
export function encoderFromFlags(values: Record<string, unknown>, env: Record<string, string | undefined>, cwd: string): EncoderConfig | undefined {
  // Paths are made absolute: the collection persists them, and a server may run elsewhere.
  const path = (p: string | undefined) => (p === undefined ? undefined : resolve(cwd, p));
  const model = path(typeof values.model === "string" ? values.model : env.SPARSEDB_MODEL || undefined);
  const kind = typeof values.encoder === "string" ? values.encoder : model !== undefined ? "splade" : undefined;
  const tokenizer = path(typeof values.tokenizer === "string" ? values.tokenizer : undefined);
  const idf = path(typeof values.idf === "string" ? values.idf : undefined);
  const bm25 = bm25FromFlags(values);
  if (kind !== undefined && kind !== "bm25" && hasBm25OnlyFlags(values)) {
    throw new UsageError(`--bm25-k1, --bm25-b, --stopwords and --keep-punctuation are for --encoder bm25, not ${kind}`);
  }
  const maxTokens = bm25.maxTokens === undefined ? {} : { maxTokens: bm25.maxTokens };
  switch (kind) {
    case undefined:
      if (tokenizer === undefined && Object.keys(bm25).length === 0) return undefined;
      return { kind: "bm25", ...(tokenizer ? { tokenizerPath: tokenizer } : {}), ...bm25 };
    case "splade":
      if (model === undefined) throw new UsageError("--encoder splade needs --model DIR (or $SPARSEDB_MODEL)");
      return { kind: "splade", modelDir: model, ...(idf ? { idfPath: idf } : {}), ...maxTokens };
    case "inference-free":
      if (idf === undefined) throw new UsageError("--encoder inference-free needs --idf PATH (a token -> weight JSON table)");
      return { kind: "inference-free", idfPath: idf, ...(tokenizer ? { tokenizerPath: tokenizer } : {}), ...maxTokens };
    case "bm25":
      return { kind: "bm25", ...(tokenizer ? { tokenizerPath: tokenizer } : {}), ...bm25 };
    default:
      throw new UsageError(`--encoder must be splade, inference-free or bm25, got ${JSON.stringify(kind)}`);
  }
}
