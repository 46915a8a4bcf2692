import { JsonNumberReader } from "./json-number.js";
import { ChunkOutput, type ParsedChunk } from "./parsed-chunk.js";
import { FNV_OFFSET, FNV_PRIME, TokenTable } from "./token-table.js";

/**
 * JSON lines of token vectors parsed straight from a chunk of the file's bytes (byte-chunks.ts)
 * into flat typed arrays, for the common shape `{"id": "d1", "vector": {"tok": 0.5, ...}}` (keys
 * in either order, any JSON whitespace; the id a string or an integer): keys are hashed from the
 * bytes (unescaped first when they hold an escape) into the vocabulary's table (token-table.ts)
 * and weights read by json-number.ts, without a JSON.parse or a string per token. Any line
 * outside that shape (metadata, text, an escape in the id, term ids, a duplicate key, an unknown
 * token, a negative or overflowing weight, bad JSON) is left, as text, to the line parser
 * (input-formats.ts), so what is accepted, and every message, is the line path's.
 */
const NEWLINE = 0x0a, CR = 0x0d, SPACE = 0x20, TAB = 0x09, QUOTE = 0x22, BACKSLASH = 0x5c;
const COLON = 0x3a, COMMA = 0x2c, OPEN = 0x7b, CLOSE = 0x7d, MINUS = 0x2d, ZERO = 0x30, NINE = 0x39;

/** A key or string that stops the fast path: it holds an escape, a control byte, or it is unterminated. */
const BAIL = -1;

const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);
const ID = bytesOf("id"), VECTOR = bytesOf("vector");
/** Keys of `vector` that mean another form of vector (input/json-vector.ts), left to the line path. */
const FORM_KEYS = ["tokens", "terms", "weights"].map(bytesOf);
const isFormKey = (bytes: Uint8Array, from: number, to: number): boolean =>
  to - from >= 5 && to - from <= 7 && (same(bytes, from, to, FORM_KEYS[0]!) || same(bytes, from, to, FORM_KEYS[1]!) || same(bytes, from, to, FORM_KEYS[2]!));
/** The longest escaped key the fast path unescapes. */
const MAX_KEY = 1024;
/** `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and the bytes they stand for. */
const SIMPLE_ESCAPES = [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74];
const SIMPLE_VALUES = [0x22, 0x5c, 0x2f, 0x08, 0x0c, 0x0a, 0x0d, 0x09];

export class JsonChunkParser {
  private readonly table: TokenTable;
  /** Per term id: the weight of the line being parsed (NaN: absent). */
  private readonly weightOf: Float64Array;
  private touched = new Uint32Array(1024);
  private readonly number = new JsonNumberReader();
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  /** A key with escapes, unescaped (UTF-8), with room past it for whole-word reads. */
  private readonly key = new Uint8Array(MAX_KEY + 8);
  private readonly keyWords = new DataView(this.key.buffer);
  /** Where the key unescaped last closes (its quote). */
  private keyEnd = 0;
  /** The chunk being parsed, as words (token-table.ts compares keys a word at a time). */
  private words: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(tokens: readonly string[]) {
    this.table = new TokenTable(tokens);
    this.weightOf = new Float64Array(tokens.length).fill(Number.NaN);
  }

  parse(bytes: Uint8Array): ParsedChunk {
    const out = new ChunkOutput(bytes.length);
    this.words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0, line = 0;
    while (pos < bytes.length) {
      let end = bytes.indexOf(NEWLINE, pos);
      if (end < 0) end = bytes.length;
      line++;
      if (!this.parseLine(bytes, pos, end, line, out)) {
        this.clear(this.touchedCount); // weights a vector recorded before the line turned out slow
        const e = end > pos && bytes[end - 1] === CR ? end - 1 : end; // the line path drops a `\r` before the newline
        out.slowLine(line, this.decoder.decode(bytes.subarray(pos, e)));
      }
      pos = end + 1;
    }
    return out.finish(line);
  }

  /** Parses bytes[from..end) into `out`; false when the line is left to the line parser. */
  private parseLine(bytes: Uint8Array, from: number, end: number, line: number, out: ChunkOutput): boolean {
    let i = skipSpace(bytes, from, end);
    if (i === end) return true; // blank
    if (bytes[i] !== OPEN) return false;
    let idFrom = -1, idTo = -1, vectorAt = -1;
    i = skipSpace(bytes, i + 1, end);
    for (;;) {
      if (bytes[i] !== QUOTE) return false;
      const keyTo = stringEnd(bytes, i + 1, end);
      if (keyTo === BAIL) return false;
      const key = i + 1;
      i = skipSpace(bytes, keyTo + 1, end);
      if (bytes[i] !== COLON) return false;
      i = skipSpace(bytes, i + 1, end);
      if (same(bytes, key, keyTo, ID) && idFrom < 0) {
        if (bytes[i] === QUOTE) {
          const to = stringEnd(bytes, i + 1, end);
          if (to === BAIL) return false;
          idFrom = i + 1;
          idTo = to;
          i = to + 1;
        } else {
          // An integer written as String(Number(text)) would write it: no leading zero, no -0, 15 digits at most.
          const start = i;
          if (bytes[i] === MINUS) i++;
          const first = i;
          while (i < end && bytes[i]! >= ZERO && bytes[i]! <= NINE) i++;
          const n = i - first;
          if (n === 0 || n > 15 || (bytes[first] === ZERO && (n > 1 || first > start))) return false;
          idFrom = start;
          idTo = i;
        }
      } else if (same(bytes, key, keyTo, VECTOR) && vectorAt < 0) {
        vectorAt = i;
        const vectorEnd = this.scanVector(bytes, i, end);
        if (vectorEnd === BAIL) return false;
        i = vectorEnd;
      } else return false; // another field (metadata, text), or a repeated one
      i = skipSpace(bytes, i, end);
      if (bytes[i] === COMMA) {
        i = skipSpace(bytes, i + 1, end);
        continue;
      }
      if (bytes[i] !== CLOSE) return false;
      break;
    }
    if (skipSpace(bytes, i + 1, end) !== end || idFrom < 0 || vectorAt < 0) return false;
    return this.emit(bytes, idFrom, idTo, line, out);
  }

  /**
   * Checks the vector object at bytes[i] (`{"tok": number, ...}`) and records its weights by term
   * id; returns where it ends, or BAIL (the weights recorded are cleared then).
   */
  private scanVector(bytes: Uint8Array, i: number, end: number): number {
    if (bytes[i] !== OPEN) return BAIL;
    const weightOf = this.weightOf, table = this.table;
    let n = 0;
    i = skipSpace(bytes, i + 1, end);
    if (bytes[i] === CLOSE) {
      this.touchedCount = 0;
      return i + 1;
    }
    for (;;) {
      if (bytes[i] !== QUOTE) return this.clear(n);
      const from = i + 1;
      let h = FNV_OFFSET;
      let j = from;
      let b = 0;
      while (j < end && (b = bytes[j]!) !== QUOTE && b !== BACKSLASH && b >= SPACE) {
        h = Math.imul(h ^ b, FNV_PRIME);
        j++;
      }
      let id: number;
      if (b === QUOTE && j < end) {
        id = table.lookup(bytes, this.words, from, j, h >>> 0);
        if (id >= 0 && isFormKey(bytes, from, j)) return this.clear(n);
      } else {
        // An escape (`\"` is a BERT token): the key unescaped into a scratch buffer.
        const length = this.unescapeKey(bytes, from, end);
        if (length < 0) return this.clear(n);
        const key = this.key;
        let hk = FNV_OFFSET;
        for (let k = 0; k < length; k++) hk = Math.imul(hk ^ key[k]!, FNV_PRIME);
        id = table.lookup(key, this.keyWords, 0, length, hk >>> 0);
        if (id >= 0 && isFormKey(key, 0, length)) return this.clear(n);
        j = this.keyEnd;
      }
      if (id < 0 || !Number.isNaN(weightOf[id]!)) return this.clear(n);
      i = skipSpace(bytes, j + 1, end);
      if (bytes[i] !== COLON) return this.clear(n);
      i = skipSpace(bytes, i + 1, end);
      if (bytes[i] === MINUS) return this.clear(n); // negative weights: the line path's message
      const w = this.number.read(bytes, i);
      if (!Number.isFinite(w) || this.number.end > end) return this.clear(n);
      i = this.number.end;
      if (n === this.touched.length) {
        const grown = new Uint32Array(n * 2);
        grown.set(this.touched);
        this.touched = grown;
      }
      this.touched[n++] = id;
      weightOf[id] = w;
      i = skipSpace(bytes, i, end);
      if (bytes[i] === COMMA) {
        i = skipSpace(bytes, i + 1, end);
        continue;
      }
      if (bytes[i] !== CLOSE) return this.clear(n);
      this.touchedCount = n;
      return i + 1;
    }
  }

  private touchedCount = 0;

  /**
   * Unescapes the JSON string whose bytes start at `from` into `key`; its length, or -1 for what
   * the line path should judge (a bad or surrogate escape, a control byte, no end, a long key).
   */
  private unescapeKey(bytes: Uint8Array, from: number, end: number): number {
    const key = this.key;
    let n = 0;
    for (let i = from; i < end; ) {
      const b = bytes[i]!;
      if (n >= MAX_KEY - 4) return -1;
      if (b === QUOTE) {
        this.keyEnd = i;
        return n;
      }
      if (b < SPACE) return -1;
      if (b !== BACKSLASH) {
        key[n++] = b;
        i++;
        continue;
      }
      const e = bytes[i + 1];
      const simple = e === undefined ? -1 : SIMPLE_ESCAPES.indexOf(e);
      if (simple >= 0) {
        key[n++] = SIMPLE_VALUES[simple]!;
        i += 2;
        continue;
      }
      if (e !== 0x75 || i + 6 > end) return -1; // \uXXXX
      const c = Number.parseInt(String.fromCharCode(bytes[i + 2]!, bytes[i + 3]!, bytes[i + 4]!, bytes[i + 5]!), 16);
      if (!/^[0-9a-fA-F]{4}$/.test(String.fromCharCode(bytes[i + 2]!, bytes[i + 3]!, bytes[i + 4]!, bytes[i + 5]!)) || (c >= 0xd800 && c <= 0xdfff)) return -1;
      if (c < 0x80) key[n++] = c;
      else if (c < 0x800) {
        key[n++] = 0xc0 | (c >> 6);
        key[n++] = 0x80 | (c & 0x3f);
      } else {
        key[n++] = 0xe0 | (c >> 12);
        key[n++] = 0x80 | ((c >> 6) & 0x3f);
        key[n++] = 0x80 | (c & 0x3f);
      }
      i += 6;
    }
    return -1;
  }

  private clear(n: number): number {
    for (let k = 0; k < n; k++) this.weightOf[this.touched[k]!] = Number.NaN;
    this.touchedCount = 0;
    return BAIL;
  }

  /** Writes the document whose weights scanVector recorded; false (and cleared) when a weight overflows float32. */
  private emit(bytes: Uint8Array, idFrom: number, idTo: number, line: number, out: ChunkOutput): boolean {
    const n = this.touchedCount;
    const terms = this.touched.subarray(0, n).sort();
    const weightOf = this.weightOf;
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(Math.fround(weightOf[terms[k]!]!))) {
        this.clear(n);
        return false;
      }
    }
    out.startDocument(bytes, idFrom, idTo, line, n);
    for (let k = 0; k < n; k++) {
      const t = terms[k]!;
      const w32 = Math.fround(weightOf[t]!);
      weightOf[t] = Number.NaN;
      if (w32 !== 0) out.posting(t, w32); // zero weights are dropped, as SparseVector drops them
    }
    out.endDocument();
    this.touchedCount = 0;
    return true;
  }
}

/** Past JSON whitespace from i (at most to end). */
function skipSpace(bytes: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const b = bytes[i]!;
    if (b !== SPACE && b !== TAB && b !== CR) break;
    i++;
  }
  return i;
}

/** The closing quote of a string whose bytes start at i, or BAIL for an escape, a control byte or no end. */
function stringEnd(bytes: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) return i;
    if (b === BACKSLASH || b < SPACE) return BAIL;
  }
  return BAIL;
}

function same(bytes: Uint8Array, from: number, to: number, word: Uint8Array): boolean {
  if (to - from !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (bytes[from + k] !== word[k]) return false;
  return true;
}
