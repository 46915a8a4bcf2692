import type { DenseEncoderConfig } from "../../encoder/dense-config.js";
import { SparseDbError } from "../errors.js";
import { typeName } from "../type-name.js";
import { DENSE_METRICS, type DenseMetric } from "./dense-metric.js";

export type { DenseMetric } from "./dense-metric.js";

/**
 * A collection's dense vector, declared at creation and persisted in its config:
 * - `dims`: every document's dense vector (and every dense query) has exactly this many values;
 * - `metric`: "cosine" (vectors scaled to unit length at ingest, queries at search, then the dot
 *   product), "dot", or "l2" (Euclidean distance; a hit's score is the negated distance, so higher
 *   is nearer everywhere, as for every other score);
 * - `index`: "flat" (exact brute force, the reference) or "hnsw" (usearch's approximate graph,
 *   one per segment; the memtable is always searched exactly).
 */
export interface DenseConfig {
  dims: number;
  metric: DenseMetric;
  index: DenseIndexKind;
  /**
   * Optional: the dense text encoder ({kind: "dense", modelDir, pooling?, normalize?, ...};
   * encoder/dense-config.ts) that gives a text upsert its dense vector and a text search its
   * dense query; its output length must be `dims` (checked when the collection is created).
   */
  encoder?: DenseEncoderConfig;
}

export type DenseIndexKind = "hnsw" | "flat";

/** What a caller may give: dims, and metric and index or their defaults. */
export type DenseConfigInput = Pick<DenseConfig, "dims"> & Partial<DenseConfig>;
export const DENSE_INDEX_KINDS: readonly DenseIndexKind[] = ["hnsw", "flat"];
/** The most values a dense vector may have (usearch and the segment format take more; this bounds a request's size). */
export const MAX_DENSE_DIMS = 8192;

const KEYS = new Set(["dims", "metric", "index", "encoder"]);

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", `collection config: dense: ${message}`);
}

function quoted(x: unknown): string {
  return typeof x === "string" ? JSON.stringify(x) : typeName(x);
}

/**
 * Checks `dense` of a collection config: {dims, metric?, index?, encoder?}; metric defaults to
 * "cosine", index to "flat" (exact; "hnsw" needs the optional usearch package); encoder's shape
 * only (the encoder checks the rest, and the database its dims, when the collection is created).
 */
export function checkDenseConfig(x: unknown): DenseConfig {
  if (x === null || typeof x !== "object" || Array.isArray(x)) throw bad(`expected {dims, metric?, index?}, got ${typeName(x)}`);
  const c = x as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!KEYS.has(k)) throw bad(`unknown key "${k}"; known keys: dims, metric, index, encoder`);
  if (typeof c.dims !== "number" || !Number.isInteger(c.dims) || c.dims < 1 || c.dims > MAX_DENSE_DIMS) {
    throw bad(`dims is ${typeof c.dims === "number" ? c.dims : typeName(c.dims)}; use an integer in 1..${MAX_DENSE_DIMS} (the length of the dense vectors, e.g. 384)`);
  }
  const metric = c.metric ?? "cosine";
  if (!(DENSE_METRICS as unknown[]).includes(metric)) throw bad(`metric is ${quoted(metric)}; use "cosine", "dot" or "l2" ("cosine" by default)`);
  const index = c.index ?? "flat";
  if (!(DENSE_INDEX_KINDS as unknown[]).includes(index)) throw bad(`index is ${quoted(index)}; use "hnsw" (approximate) or "flat" (exact brute force) ("flat" by default)`);
  const out: DenseConfig = { dims: c.dims, metric: metric as DenseMetric, index: index as DenseIndexKind };
  if (c.encoder !== undefined && c.encoder !== null) {
    const e = c.encoder as { kind?: unknown; modelDir?: unknown };
    if (typeof e !== "object" || Array.isArray(e) || e.kind !== "dense" || typeof e.modelDir !== "string" || e.modelDir === "") {
      throw bad(`encoder must be {kind: "dense", modelDir, pooling?, normalize?} (a dense ONNX model folder), got ${typeName(c.encoder)}${typeof e === "object" && e !== null && e.kind !== "dense" ? ` with kind ${quoted(e.kind)}` : ""}`);
    }
    out.encoder = c.encoder as DenseEncoderConfig; // its other keys are checked when the encoder is created
  }
  return out;
}
