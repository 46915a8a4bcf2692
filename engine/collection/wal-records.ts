import { SparseDbError } from "../errors.js";
import { packValue, unpackValue } from "../../storage/msgpack.js";
import { NO_LENGTH } from "./corpus-statistics.js";

/**
 * The Collection's log records: the payload inside a WAL record (FORMAT.md, "Log records").
 * Upserts use a fixed binary layout rather than msgpack because they are the hot path (one per
 * upsert call, ~1 KB each); all integers little-endian:
 *   UPSERT (type 3): u32 count, then per document:
 *     u32 idBytes | id (UTF-8) | u32 nnz | nnz x u32 term ids | nnz x f32 weights |
 *     u32 length (0xFFFFFFFF: none) | u32 metaBytes (0xFFFFFFFF: no metadata) | metadata (msgpack)
 *   DELETE (type 2): msgpack array of id strings
 *   UPSERT without lengths (type 1, written by older versions; read as length "none"): type 3
 *     without the u32 length.
 *   UPSERT with texts (type 4): type 3 with, after each document's metadata,
 *     u32 textBytes (0xFFFFFFFF: no text) | text (UTF-8). Written only when some document of the
 *     record keeps its text, so a collection without stored texts writes the type 3 records older
 *     versions read.
 *   UPSERT with extras (type 5): type 3 with, after each document's metadata, u8 flags, then
 *     bit 0 set: u32 textBytes | text (UTF-8); bit 1 set: u32 dims | dims x f32 dense vector.
 *     Written only when some document of the record has a dense vector, so collections without
 *     dense vectors write the type 3 and 4 records older versions read.
 */
export const RECORD_UPSERT = 3;
export const RECORD_UPSERT_V1 = 1;
export const RECORD_DELETE = 2;
export const RECORD_UPSERT_TEXT = 4;
export const RECORD_UPSERT_EXTRAS = 5;
const EXTRA_TEXT = 1;
const EXTRA_DENSE = 2;
const NO_META = 0xffffffff;
const NO_TEXT = 0xffffffff;

export interface StoredDoc {
  id: string;
  terms: Uint32Array;
  weights: Float32Array;
  /** The metadata as msgpack bytes, or null when the document has none. */
  meta: Uint8Array | null;
  /** What the corpus statistics count as its length (BM25: word pieces), or NO_LENGTH. */
  length: number;
  /** The text it was upserted with, when the collection keeps texts (storeText); absent or null: none. */
  text?: string | null;
  /** Its dense vector (as stored: a cosine collection's at unit length); absent or null: none. */
  dense?: Float32Array | null;
}

/** Whether a log record type is one of the upsert layouts. */
export function isUpsertRecord(type: number): boolean {
  return type === RECORD_UPSERT || type === RECORD_UPSERT_V1 || type === RECORD_UPSERT_TEXT || type === RECORD_UPSERT_EXTRAS;
}

/** An upsert record's type and payload: type 5 when some document has a dense vector, else 4 when some keeps a text, else 3. */
export function encodeUpsertRecord(docs: StoredDoc[], headroom = 0): { type: number; payload: Uint8Array } {
  if (docs.some((d) => d.dense !== undefined && d.dense !== null)) return { type: RECORD_UPSERT_EXTRAS, payload: encodeUpsert(docs, headroom, "extras") };
  const withText = docs.some((d) => d.text !== undefined && d.text !== null);
  return { type: withText ? RECORD_UPSERT_TEXT : RECORD_UPSERT, payload: encodeUpsert(docs, headroom, withText) };
}

/** Decodes any of the upsert layouts (types 1, 3, 4 and 5). */
export function decodeUpsertRecord(type: number, payload: Uint8Array): StoredDoc[] {
  return decodeUpsert(payload, type !== RECORD_UPSERT_V1, type === RECORD_UPSERT_EXTRAS ? "extras" : type === RECORD_UPSERT_TEXT);
}

/** What follows each document's metadata: nothing (false), a text (true: type 4), or a flags byte and its fields ("extras": type 5). */
type Trailer = boolean | "extras";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Reused scratch space for encoding upserts (one encode at a time: the event loop is single-threaded). */
let scratch = new Uint8Array(1 << 16);

/**
 * Encodes an upsert payload after `headroom` spare bytes (the WAL record header, filled in by
 * WalWriter.appendInPlace). Built in a reused scratch buffer, then copied out once.
 */
export function encodeUpsert(docs: StoredDoc[], headroom = 0, withText: Trailer = false): Uint8Array {
  let size = headroom + 4;
  for (const d of docs) size += 29 + d.id.length * 3 + d.terms.length * 8 + (d.meta?.length ?? 0) + (withText ? (d.text?.length ?? 0) * 3 : 0) + (d.dense?.length ?? 0) * 4;
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
  const out = scratch;
  const v = new DataView(out.buffer);
  let o = headroom;
  v.setUint32(o, docs.length, true);
  o += 4;
  for (const d of docs) {
    const { written } = utf8.encodeInto(d.id, out.subarray(o + 4));
    v.setUint32(o, written, true);
    o += 4 + written;
    const n = d.terms.length;
    v.setUint32(o, n, true);
    o += 4;
    out.set(new Uint8Array(d.terms.buffer, d.terms.byteOffset, n * 4), o);
    o += n * 4;
    out.set(new Uint8Array(d.weights.buffer, d.weights.byteOffset, n * 4), o);
    o += n * 4;
    v.setUint32(o, d.length, true);
    o += 4;
    v.setUint32(o, d.meta ? d.meta.length : NO_META, true);
    o += 4;
    if (d.meta) {
      out.set(d.meta, o);
      o += d.meta.length;
    }
    if (withText === "extras") {
      o = encodeExtras(d, out, v, o);
    } else if (withText) {
      if (d.text === undefined || d.text === null) {
        v.setUint32(o, NO_TEXT, true);
        o += 4;
      } else {
        const { written: textBytes } = utf8.encodeInto(d.text, out.subarray(o + 4));
        v.setUint32(o, textBytes, true);
        o += 4 + textBytes;
      }
    }
  }
  return out.slice(0, o);
}

/** Type 5's per-document trailer: the flags byte, then the text and the dense vector present. */
function encodeExtras(d: StoredDoc, out: Uint8Array, v: DataView, o: number): number {
  const hasText = d.text !== undefined && d.text !== null, dense = d.dense ?? null;
  out[o++] = (hasText ? EXTRA_TEXT : 0) | (dense !== null ? EXTRA_DENSE : 0);
  if (hasText) {
    const { written } = utf8.encodeInto(d.text!, out.subarray(o + 4));
    v.setUint32(o, written, true);
    o += 4 + written;
  }
  if (dense !== null) {
    v.setUint32(o, dense.length, true);
    o += 4;
    out.set(new Uint8Array(dense.buffer, dense.byteOffset, dense.length * 4), o);
    o += dense.length * 4;
  }
  return o;
}

/** A copy that owns its memory (Buffer#slice would return a view into the whole log buffer). */
function copyOf(bytes: Uint8Array, from: number, to: number): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes, from, to);
}

/** Decodes an UPSERT payload; `withLengths` false for the older type 1 layout, `withTexts` true for type 4. */
export function decodeUpsert(payload: Uint8Array, withLengths = true, withTexts: Trailer = false): StoredDoc[] {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const bad = (): never => {
    throw new SparseDbError("CORRUPTION", "an upsert log record is malformed (its checksum matched: written by an incompatible sparsedb?)");
  };
  const need = (o: number, n: number): void => void (o + n > payload.length && bad());
  need(0, 4);
  const count = v.getUint32(0, true);
  const docs: StoredDoc[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    need(o, 4);
    const idLen = v.getUint32(o, true);
    need(o + 4, idLen + 4);
    const id = utf8Decoder.decode(payload.subarray(o + 4, o + 4 + idLen));
    o += 4 + idLen;
    const n = v.getUint32(o, true);
    o += 4;
    need(o, n * 8 + (withLengths ? 8 : 4));
    // Copies into fresh, aligned memory: the payload sits at any offset of the log buffer.
    const terms = new Uint32Array(copyOf(payload, o, o + n * 4).buffer);
    o += n * 4;
    const weights = new Float32Array(copyOf(payload, o, o + n * 4).buffer);
    o += n * 4;
    let length = NO_LENGTH;
    if (withLengths) {
      length = v.getUint32(o, true);
      o += 4;
    }
    const metaLen = v.getUint32(o, true);
    o += 4;
    let meta: Uint8Array | null = null;
    if (metaLen !== NO_META) {
      need(o, metaLen);
      meta = copyOf(payload, o, o + metaLen);
      o += metaLen;
    }
    if (!withTexts) {
      docs.push({ id, terms, weights, meta, length });
      continue;
    }
    if (withTexts === "extras") {
      need(o, 1);
      const flags = payload[o++]!;
      if ((flags & ~(EXTRA_TEXT | EXTRA_DENSE)) !== 0) bad();
      let text: string | null = null, dense: Float32Array | null = null;
      if ((flags & EXTRA_TEXT) !== 0) {
        need(o, 4);
        const textLen = v.getUint32(o, true);
        need(o + 4, textLen);
        text = utf8Decoder.decode(payload.subarray(o + 4, o + 4 + textLen));
        o += 4 + textLen;
      }
      if ((flags & EXTRA_DENSE) !== 0) {
        need(o, 4);
        const dims = v.getUint32(o, true);
        need(o + 4, dims * 4);
        dense = new Float32Array(copyOf(payload, o + 4, o + 4 + dims * 4).buffer);
        o += 4 + dims * 4;
      }
      docs.push({ id, terms, weights, meta, length, text, dense });
      continue;
    }
    need(o, 4);
    const textLen = v.getUint32(o, true);
    o += 4;
    let text: string | null = null;
    if (textLen !== NO_TEXT) {
      need(o, textLen);
      text = utf8Decoder.decode(payload.subarray(o, o + textLen));
      o += textLen;
    }
    docs.push({ id, terms, weights, meta, length, text });
  }
  if (o !== payload.length) bad();
  return docs;
}

export function encodeDelete(ids: string[]): Uint8Array {
  return packValue(ids);
}

export function decodeDelete(payload: Uint8Array): string[] {
  const ids = unpackValue(payload);
  if (!Array.isArray(ids) || !ids.every((x) => typeof x === "string")) {
    throw new SparseDbError("CORRUPTION", "a delete log record is malformed");
  }
  return ids;
}
