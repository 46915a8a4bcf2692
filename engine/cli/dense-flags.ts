import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { DenseConfigInput } from "../dense/dense-config.js";
import { UsageError } from "./cli-io.js";
import type { OptionSpec } from "./cli-args.js";

/** `--dense-dims`, `--dense-metric`, `--dense-index`, `--dense-model`, `--dense-pooling`, `--dense-no-normalize`: a new collection's dense vectors (commands that create one). */
export const DENSE_CONFIG_OPTIONS: OptionSpec = {
  "dense-dims": { type: "string" },
  "dense-metric": { type: "string" },
  "dense-index": { type: "string" },
  "dense-model": { type: "string" },
  "dense-pooling": { type: "string" },
  "dense-no-normalize": { type: "boolean" },
};

export const DENSE_CONFIG_HELP = `      --dense-dims N     the new collection's documents may carry dense vectors of N values
      --dense-metric M   with --dense-dims: cosine (default) | dot | l2
      --dense-index I    with --dense-dims: flat (exact, default) | hnsw (approximate; needs usearch)
      --dense-model DIR  with --dense-dims: a dense ONNX model folder that encodes text documents
                         and text queries into the dense vectors (N must be its output length)
      --dense-pooling P  with --dense-model: mean (default) | cls
      --dense-no-normalize  with --dense-model: keep the pooled vectors' lengths`;

/** The config field the flags give a new collection ({} without --dense-dims); the values are the library's to check. */
export function denseConfigFromFlags(values: Record<string, unknown>, cwd: string): { dense?: DenseConfigInput } {
  const dims = values["dense-dims"], metric = values["dense-metric"], index = values["dense-index"];
  const model = values["dense-model"], pooling = values["dense-pooling"], noNormalize = values["dense-no-normalize"] === true;
  if (model === undefined && (pooling !== undefined || noNormalize)) throw new UsageError(`--dense-${pooling !== undefined ? "pooling" : "no-normalize"} needs --dense-model DIR (the dense model folder)`);
  if (dims === undefined) {
    const lone = metric !== undefined ? "metric" : index !== undefined ? "index" : model !== undefined ? "model" : undefined;
    if (lone !== undefined) throw new UsageError(`--dense-${lone} needs --dense-dims N (the length of the dense vectors)`);
    return {};
  }
  if (typeof dims !== "string" || !/^\d+$/.test(dims)) throw new UsageError(`--dense-dims must be a positive integer, got ${JSON.stringify(dims)}`);
  const dense: DenseConfigInput = { dims: Number(dims) };
  if (metric !== undefined) dense.metric = metric as DenseConfigInput["metric"];
  if (index !== undefined) dense.index = index as DenseConfigInput["index"];
  if (typeof model === "string") {
    dense.encoder = { kind: "dense", modelDir: resolve(cwd, model) };
    if (pooling !== undefined) dense.encoder.pooling = pooling as "mean" | "cls";
    if (noNormalize) dense.encoder.normalize = false;
  }
  return { dense };
}

/** `search --dense`, `--fusion`, `--prefetch`, `--rerank`. */
export const DENSE_QUERY_OPTIONS: OptionSpec = {
  dense: { type: "string" },
  fusion: { type: "string" },
  prefetch: { type: "string" },
  rerank: { type: "string" },
};

export const DENSE_QUERY_HELP = `      --dense JSON|FILE  a dense query: a JSON array of numbers, or a file holding one (or raw
                         float32 little-endian values, for a file named *.f32 or *.bin); alone a
                         dense search, with a query text or --vector a hybrid one
      --fusion F         hybrid: rrf (default) | dbsf | '{"rrf": {"k": 60}}' | '{"linear": {"sparse": 0.3, "dense": 0.7}}'
      --prefetch N       hybrid: candidates each leg retrieves (default max(4 x (offset + k), 20))
      --rerank LEG       two-stage: dense (re-order the sparse leg's candidates by dense similarity) | sparse`;

/** The request fields the flags give a search (checked by the library's rules where it runs). */
export function denseQueryFromFlags(values: Record<string, unknown>, cwd: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dense = values.dense;
  if (typeof dense === "string") out.dense = denseArgument(dense, cwd);
  const fusion = values.fusion;
  if (typeof fusion === "string") out.fusion = fusion.trim().startsWith("{") ? parseJson(fusion, "--fusion") : fusion;
  const prefetch = values.prefetch;
  if (typeof prefetch === "string") out.prefetch = /^\d+$/.test(prefetch) ? Number(prefetch) : prefetch;
  if (typeof values.rerank === "string") out.rerank = values.rerank;
  return out;
}

function denseArgument(arg: string, cwd: string): unknown {
  if (arg.trim().startsWith("[")) return parseJson(arg, "--dense");
  const path = resolve(cwd, arg);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`--dense: ${arg} is neither a JSON array nor a readable file (${(e as Error).message})`);
  }
  if (/\.(f32|bin)$/i.test(arg)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return parseJson(bytes.toString("utf8"), `--dense ${arg}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON (${(e as Error).message})`);
  }
}
