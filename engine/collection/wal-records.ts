import { packValue, unpackValue } from "../../storage/msgpack.js";
import { SparseDbError } from "../errors.js";

/**
 * The Collection's log records (the payload inside a WAL record; FORMAT.md, "Log records").
 * UPSERT: msgpack array of [id, terms (bin, u32 LE), weights (bin, f32 LE), metadata (bin:
 *         msgpack of the metadata) | nil]
 * DELETE: msgpack array of ids
 */
export const RECORD_UPSERT = 1;
export const RECORD_DELETE = 2;

export interface StoredDoc {
  id: string;
  terms: Uint32Array;
  weights: Float32Array;
  /** The metadata as msgpack bytes, or null when the document has none. */
  meta: Uint8Array | null;
}

const bytesOf = (a: Uint32Array | Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeUpsert(docs: StoredDoc[]): Uint8Array {
  return packValue(docs.map((d) => [d.id, bytesOf(d.terms), bytesOf(d.weights), d.meta]));
}

export function encodeDelete(ids: string[]): Uint8Array {
  return packValue(ids);
}

/** Copies into fresh (aligned) memory: bin values come back as views at arbitrary offsets. */
function aligned<T extends Uint32Array | Float32Array>(bytes: Uint8Array, ctor: { new (b: ArrayBuffer): T }): T {
  if (bytes.length % 4 !== 0) throw new SparseDbError("CORRUPTION", "log record holds a vector of odd length");
  return new ctor(Uint8Array.prototype.slice.call(bytes).buffer);
}

export function decodeUpsert(payload: Uint8Array): StoredDoc[] {
  const rows = unpackValue(payload) as [string, Uint8Array, Uint8Array, Uint8Array | null][];
  return rows.map(([id, t, w, m]) => ({
    id,
    terms: aligned(t, Uint32Array),
    weights: aligned(w, Float32Array),
    meta: m === null || m === undefined ? null : Uint8Array.prototype.slice.call(m),
  }));
}

export function decodeDelete(payload: Uint8Array): string[] {
  return unpackValue(payload) as string[];
}
