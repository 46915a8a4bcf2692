import { SparseDbError } from "../errors.js";
import { SparseVector } from "../sparse-vector.js";
import type { SearchHit } from "../requests.js";
import { f64, WireFloat } from "./msgpack-writer.js";

/**
 * Conversions between library values and plain MessagePack values, both ways, and the checks
 * that keep hostile input out of the library: only plain data (maps, arrays, strings, numbers,
 * booleans, nil, binary) nested at most MAX_DEPTH deep.
 */
export const MAX_DEPTH = 64;

export function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", message);
}

/** Throws unless `value` is a tree of plain data (no msgpack extension objects, no cycles). */
export function checkPlainData(value: unknown, path: string, depth = 0): void {
  if (depth > MAX_DEPTH) throw bad(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || value === undefined) return;
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      return;
    case "bigint":
      throw bad(`${path}: the integer ${value} is beyond 2^53, which this server cannot hold exactly; send it as a float or a string`);
    case "object":
      break;
    default:
      throw bad(`${path}: unsupported value of type ${typeof value}`);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkPlainData(value[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw bad(`${path}: unsupported value (${(proto?.constructor?.name as string) ?? "object"}); send plain maps, arrays, strings, numbers, booleans or nil`);
  }
  for (const k of Object.keys(value)) checkPlainData((value as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
}

export function isMap(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof Uint8Array);
}

export function requireMap(x: unknown, path: string): Record<string, unknown> {
  if (!isMap(x)) throw bad(`${path} must be a map`);
  return x;
}

export function requireString(args: Record<string, unknown>, key: string, maxLength = 1 << 20): string {
  const v = args[key];
  if (typeof v !== "string") throw bad(`args.${key} must be a string`);
  if (v.length > maxLength) throw bad(`args.${key} is longer than ${maxLength} characters`);
  return v;
}

/** Typed arrays as they are: the writer sends Uint32Array terms as integers and Float32Array weights as float64. */
export function vectorToWire(v: SparseVector): { terms: Uint32Array; weights: Float32Array } {
  return { terms: v.terms, weights: v.weights };
}

/** Search hits with `score` and explain's weights marked float64 (whole values included). */
function legToWire(l: { rank: number; score: number } | null): unknown {
  return l === null ? null : { rank: l.rank, score: f64(l.score) };
}

export function hitsToWire(hits: SearchHit[]): unknown[] {
  return hits.map((h) => {
    const out: Record<string, unknown> = { id: h.id, score: f64(h.score) };
    if ("metadata" in h) out.metadata = toWire(h.metadata ?? null); // left out when include.metadata is false
    if (h.text !== undefined) out.text = h.text;
    if (h.legs !== undefined) out.legs = { sparse: legToWire(h.legs.sparse), dense: legToWire(h.legs.dense) };
    if (h.explain !== undefined) {
      out.explain = h.explain.map((t) => {
        const e: Record<string, unknown> = { termId: t.termId };
        if (t.token !== undefined) e.token = t.token;
        e.queryWeight = f64(t.queryWeight);
        e.docWeight = f64(t.docWeight);
        e.contribution = f64(t.contribution);
        return e;
      });
    }
    return out;
  });
}

/**
 * Makes a library result plain MessagePack data: vectors become {terms, weights}; typed arrays
 * stay (Uint8Array is bin, see msgpack-writer.ts); a Map becomes a map; a Date its ISO string.
 */
export function toWire(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return null;
  if (value === null || value === undefined) return value ?? null;
  if (typeof value !== "object") return typeof value === "function" || typeof value === "symbol" ? null : value;
  if (value instanceof SparseVector) return vectorToWire(value);
  if (value instanceof WireFloat) return value;
  if (Array.isArray(value)) return value.map((v) => toWire(v, depth + 1));
  if (ArrayBuffer.isView(value)) return value instanceof DataView ? null : value;
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), toWire(v, depth + 1)]));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v, depth + 1);
  return out;
}
