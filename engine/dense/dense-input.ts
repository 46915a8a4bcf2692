import { SparseDbError } from "../errors.js";
import { typeName } from "../type-name.js";
import { normalizeDense, type DenseMetric } from "./dense-metric.js";

/**
 * A dense vector as requests give it: a Float32Array (or another typed array of numbers), a plain
 * array of numbers, or a Uint8Array (a Buffer, msgpack's bin) holding float32 values
 * little-endian, 4 bytes each: the wire's binary form (PROTOCOL.md).
 */
export type DenseInput = Float32Array | ArrayLike<number> | Uint8Array;

/** A dense vector as the wire's binary form: its float32 values little-endian. */
export function denseToBinary(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  return out;
}

function denseFromBinary(b: Uint8Array, where: string): Float32Array {
  if (b.byteLength % 4 !== 0) throw invalid(`${where}: a binary dense vector holds float32 values, 4 bytes each, little-endian; it has ${b.byteLength} bytes`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Float32Array.from({ length: b.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

function invalid(message: string): SparseDbError {
  return new SparseDbError("INVALID_VECTOR", message);
}

/**
 * A dense vector from a request, checked: an array (or typed array) of finite numbers, of exactly
 * `dims` values when dims is known (a client checks only the shape; the collection knows its dims).
 * A fresh Float32Array, so later changes to the caller's array change nothing stored.
 */
export function checkDenseVector(input: unknown, where: string, dims: number | undefined): Float32Array {
  if (input instanceof Uint8Array) input = denseFromBinary(input, where);
  const isTyped = ArrayBuffer.isView(input) && !(input instanceof DataView) && !(input instanceof BigInt64Array) && !(input instanceof BigUint64Array);
  if (!Array.isArray(input) && !isTyped) {
    throw invalid(`${where}: dense must be an array of numbers or a Float32Array, got ${typeName(input)}`);
  }
  const a = input as ArrayLike<unknown>;
  if (dims !== undefined && a.length !== dims) {
    throw invalid(`${where}: the dense vector has ${a.length} values; this collection's dense vectors have exactly ${dims}`);
  }
  if (a.length === 0) throw invalid(`${where}: the dense vector is empty`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== "number") throw invalid(`${where}: dense[${i}] must be a number, got ${typeName(x)}`);
    if (!Number.isFinite(x)) throw invalid(`${where}: dense[${i}] is ${x}; dense values must be finite numbers`);
    const f = Math.fround(x);
    if (!Number.isFinite(f)) throw invalid(`${where}: dense[${i}] is ${x}, beyond float32's range; dense values are stored as float32`);
    out[i] = f;
  }
  return out;
}

/**
 * The vector a collection of this metric stores or searches with: for "cosine" scaled to unit
 * length (norm in float64), refusing a zero vector, which has no direction; otherwise as given.
 */
export function denseForMetric(v: Float32Array, metric: DenseMetric, where: string): Float32Array {
  if (metric !== "cosine") return v;
  if (v.every((x) => x === 0)) throw invalid(`${where}: the dense vector is all zeros, which has no direction for the "cosine" metric; give a non-zero vector or leave dense out`);
  return normalizeDense(v);
}
