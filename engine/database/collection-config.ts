import type { EncoderConfig } from "../../encoder/index.js";
import { SparseDbError } from "../errors.js";
import { typeName } from "../type-name.js";
import type { Durability } from "../requests.js";
import { METRICS, type Metric } from "../similarity-metric.js";
import { checkDenseConfig, type DenseConfigInput } from "../dense/dense-config.js";

/**
 * How a collection is created; persisted in the catalog so that reopening needs no arguments.
 * `encoder` turns text into vectors (and gives explain its tokens): a SPLADE model folder,
 * inference-free (tokenizer + IDF), or lexical BM25, the default when none is given.
 */
export interface CollectionConfig {
  encoder?: EncoderConfig;
  /** Bits per quantized impact (8 by default). */
  bits?: number;
  /** "always" (default): an upsert resolves once on disk; "batch": up to batchIntervalMs at risk; "off". */
  durability?: Durability;
  batchIntervalMs?: number;
  /** Documents in the in-memory table before it is flushed into a segment. */
  memtableMaxDocs?: number;
  /** Keep each text upsert's text (get returns it; search hits on request). On by default: a database's collections all have an encoder. */
  storeText?: boolean;
  /** "dot" (default) or "cosine" (vectors scaled to unit length; engine/similarity-metric.ts). Configs written before it mean "dot". */
  metric?: Metric;
  /** A dense vector per document (engine/dense/dense-config.ts): {dims, metric, index}; absent: sparse only. */
  dense?: DenseConfigInput;
}

const KEYS = new Set(["encoder", "bits", "durability", "batchIntervalMs", "memtableMaxDocs", "storeText", "metric", "dense"]);

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", `collection config: ${message}`);
}

/** Checks a config's shape (the encoder checks its own part when it is created). */
export function checkCollectionConfig(config: unknown): CollectionConfig {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw bad("expected an object");
  const c = { ...(config as Record<string, unknown>) };
  for (const k of Object.keys(c)) {
    if (!KEYS.has(k)) throw bad(`unknown key "${k}"; known keys: ${[...KEYS].join(", ")}`);
  }
  if (c.encoder !== undefined) {
    const e = c.encoder as { kind?: unknown };
    if (e === null || typeof e !== "object" || !["splade", "inference-free", "bm25"].includes(e.kind as string)) {
      throw bad(`encoder must be an object with kind "splade", "inference-free" or "bm25"`);
    }
  }
  for (const k of ["bits", "batchIntervalMs", "memtableMaxDocs"] as const) {
    if (c[k] !== undefined && typeof c[k] !== "number") throw bad(`${k} must be a number, got ${typeName(c[k])}`);
  }
  if (c.bits !== undefined && !(Number.isInteger(c.bits) && (c.bits as number) >= 1 && (c.bits as number) <= 16)) {
    throw bad(`bits is ${String(c.bits)}; use an integer in 1..16 (8 by default)`);
  }
  if (c.storeText !== undefined && typeof c.storeText !== "boolean") throw bad(`storeText must be a boolean, got ${typeName(c.storeText)}`);
  if (c.durability !== undefined && !["always", "batch", "off"].includes(c.durability as string)) {
    throw bad(`durability is ${JSON.stringify(c.durability)}; use "always", "batch" or "off"`);
  }
  if (c.metric !== undefined && !(METRICS as unknown[]).includes(c.metric)) {
    throw bad(`metric is ${typeof c.metric === "string" ? JSON.stringify(c.metric) : typeName(c.metric)}; use ${METRICS.map((m) => JSON.stringify(m)).join(" or ")} ("dot" by default)`);
  }
  if (c.dense !== undefined && c.dense !== null) c.dense = checkDenseConfig(c.dense);
  else delete c.dense;
  for (const k of ["batchIntervalMs", "memtableMaxDocs"] as const) {
    const v = c[k];
    if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v > 0)) {
      throw bad(`${k} is ${String(v)}; use a positive integer`);
    }
  }
  return c as CollectionConfig;
}

/** What a collection uses for each option it was created without (PROTOCOL.md lists them too). */
export const COLLECTION_CONFIG_DEFAULTS = {
  bits: 8,
  durability: "always",
  batchIntervalMs: 10,
  memtableMaxDocs: 20_000,
  storeText: true,
  metric: "dot",
} as const satisfies Required<Omit<CollectionConfig, "encoder" | "dense">>;

/** The config with every default filled in (the encoder's own defaults are filled when it is created). */
export function withConfigDefaults(config: CollectionConfig): CollectionConfig & Required<Omit<CollectionConfig, "encoder" | "dense">> {
  const out: Record<string, unknown> = { ...COLLECTION_CONFIG_DEFAULTS };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) out[k] = v;
  return out as unknown as CollectionConfig & Required<Omit<CollectionConfig, "encoder" | "dense">>;
}

/**
 * Refuses cosine with BM25. BM25 is a dot product only because its IDF sits on the query side,
 * where it follows the live corpus statistics; the document's own BM25 vector (IDF times
 * saturated term frequency) therefore changes as the corpus changes, so its norm cannot be fixed
 * when the document is written, and a cosine computed from the stored half would not be the
 * cosine of BM25 vectors. Every other encoder's document vectors are complete and fixed at ingest.
 */
export function checkMetricWithEncoder(metric: Metric | undefined, encoder: EncoderConfig): void {
  if (metric !== "cosine" || encoder.kind !== "bm25") return;
  throw bad(
    'metric "cosine" cannot be exact with the BM25 encoder (the default when no encoder is given): BM25 puts IDF on the query side, ' +
      "where it changes with the corpus, so a document's BM25 vector has no fixed length to normalise at ingest. " +
      'Use metric "dot" with BM25 (it normalises document length itself), or give an encoder for cosine: ' +
      '{kind: "splade", modelDir} or {kind: "inference-free", idfPath} (CLI: --encoder splade --model DIR, or --encoder inference-free --idf FILE)',
  );
}
