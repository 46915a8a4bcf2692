/**
 * Anserini pre-encoded TSV (`id<TAB>tok tok tok ...`, a token's weight its repeat count over the
 * scale) parsed straight from a chunk of the file's bytes (byte-chunks.ts) into flat typed arrays,
 * without a string per line or per token: the bulk ingest's fast path, run in worker threads
 * (anserini-parse-pool.ts). The rules and messages are the line parser's (anserini-vector.ts and
 * input-formats.ts): blank lines are skipped, a line needs a non-empty id before a tab, tokens are
 * separated by spaces, an unknown token fails its line, a repeated vocabulary token maps to its
 * first id, and `\r\n` endings are accepted.
 */

/** One chunk's documents: document d's postings are [offsets[d], offsets[d + 1]). */
export interface ParsedAnseriniChunk {
  /** Lines in the chunk (a last line without a newline counted too). */
  lineCount: number;
  ids: string[];
  /** Each document's line number, counted from 1 within the chunk. */
  lines: Uint32Array;
  offsets: Uint32Array;
  /** Strictly increasing within a document, below the vocabulary size. */
  terms: Uint32Array;
  /** Finite and > 0 (float32). */
  weights: Float32Array;
  /** Bad lines (line within the chunk, what is wrong), in order. */
  errors: { line: number; message: string }[];
}

const NEWLINE = 0x0a, TAB = 0x09, SPACE = 0x20, CR = 0x0d;

export const NO_TAB = "expected `id<TAB>...`: no tab after a non-empty id";

export class AnseriniChunkParser {
  /** Every distinct token's UTF-8 bytes, one after another; token id t's are [tokenStart[t], tokenStart[t + 1]). */
  private readonly tokenBytes: Uint8Array;
  private readonly tokenStart: Uint32Array;
  /** slot -> term id + 1 (0: empty); a power of two at least twice the vocabulary. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly counts: Uint32Array;
  private touched = new Uint32Array(1024);
  private readonly decoder = new TextDecoder();

  constructor(private readonly tokens: readonly string[], private readonly scale: number) {
    const encoder = new TextEncoder();
    const encoded = tokens.map((t) => encoder.encode(t));
    this.tokenStart = new Uint32Array(tokens.length + 1);
    for (let t = 0; t < tokens.length; t++) this.tokenStart[t + 1] = this.tokenStart[t]! + encoded[t]!.length;
    this.tokenBytes = new Uint8Array(this.tokenStart[tokens.length]!);
    encoded.forEach((e, t) => this.tokenBytes.set(e, this.tokenStart[t]!));
    let size = 1024;
    while (size < 2 * tokens.length) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    this.counts = new Uint32Array(tokens.length);
    const seen = new Set<string>();
    for (let id = 0; id < tokens.length; id++) {
      if (seen.has(tokens[id]!)) continue; // a repeated token maps to its first id
      seen.add(tokens[id]!);
      const from = this.tokenStart[id]!, to = this.tokenStart[id + 1]!;
      let slot = hashBytes(this.tokenBytes, from, to) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = id + 1;
    }
  }

  parse(bytes: Uint8Array): ParsedAnseriniChunk {
    const out = new ChunkOutput(bytes.length);
    const len = bytes.length;
    let pos = 0, line = 0;
    while (pos < len) {
      let end = bytes.indexOf(NEWLINE, pos);
      if (end < 0) end = len;
      line++;
      const e = end > pos && bytes[end - 1] === CR ? end - 1 : end;
      this.parseLine(bytes, pos, e, line, out);
      pos = end + 1;
    }
    return out.finish(line);
  }

  private parseLine(bytes: Uint8Array, from: number, end: number, line: number, out: ChunkOutput): void {
    let tab = -1, blank = true;
    for (let i = from; i < end; i++) {
      const b = bytes[i]!;
      if (b === TAB) {
        tab = i;
        break;
      }
      if (b !== SPACE && (b < 0x09 || b > 0x0d)) blank = false;
    }
    if (tab < 0 && blank) return; // a blank line (the line path's trim() === "")
    if (tab <= from) {
      out.error(line, NO_TAB);
      return;
    }
    const counts = this.counts;
    let n = 0;
    let i = tab + 1;
    while (i < end) {
      if (bytes[i] === SPACE) {
        i++;
        continue;
      }
      let h = 0x811c9dc5;
      let j = i;
      while (j < end && bytes[j] !== SPACE) h = Math.imul(h ^ bytes[j++]!, 0x01000193);
      const id = this.lookup(bytes, i, j, h >>> 0);
      if (id < 0) {
        this.reset(n);
        const tok = this.decoder.decode(bytes.subarray(i, j));
        out.error(line, `unknown token "${tok}": it is not in the vocabulary (${this.tokens.length} terms); use the model's tokenizer vocabulary`);
        return;
      }
      // Anserini writes a token's repeats next to each other: count the run of " tok" that
      // follows by comparing with this occurrence, without hashing or looking up again.
      const length = j - i;
      let repeats = 1;
      while (j + 1 + length <= end && bytes[j] === SPACE && (j + 1 + length === end || bytes[j + 1 + length] === SPACE)) {
        const at = j + 1;
        let k = 0;
        while (k < length && bytes[at + k] === bytes[i + k]) k++;
        if (k < length) break;
        repeats++;
        j = at + length;
      }
      if (counts[id] === 0) {
        if (n === this.touched.length) {
          const grown = new Uint32Array(n * 2);
          grown.set(this.touched);
          this.touched = grown;
        }
        this.touched[n++] = id;
      }
      counts[id] += repeats;
      i = j;
    }
    const terms = this.touched.subarray(0, n).sort();
    out.startDocument(this.decoder.decode(bytes.subarray(from, tab)), line, n);
    for (let k = 0; k < n; k++) {
      const t = terms[k]!;
      const w = counts[t]! / this.scale;
      counts[t] = 0;
      const w32 = Math.fround(w);
      if (w32 === 0) continue; // dropped, as SparseVector drops zero weights
      if (!Number.isFinite(w32)) {
        this.reset(n);
        out.dropDocument();
        out.error(line, `weight ${w} of term ${t} overflows float32; scale the vector down`);
        return;
      }
      out.posting(t, w32);
    }
    out.endDocument();
  }

  /** The term id of bytes[i..j) (hash h), or -1. */
  private lookup(bytes: Uint8Array, i: number, j: number, h: number): number {
    const tokenBytes = this.tokenBytes, tokenStart = this.tokenStart, table = this.table;
    let slot = h & this.mask;
    for (;;) {
      const e = table[slot]!;
      if (e === 0) return -1;
      const from = tokenStart[e - 1]!;
      if (tokenStart[e]! - from === j - i) {
        let k = 0;
        while (i + k < j && bytes[i + k] === tokenBytes[from + k]) k++;
        if (i + k === j) return e - 1;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  private reset(n: number): void {
    for (let k = 0; k < n; k++) this.counts[this.touched[k]!] = 0;
  }
}

/** FNV-1a over bytes[from..to) (over UTF-8 bytes, where the line parser hashes UTF-16 units). */
function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let k = from; k < to; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  return h >>> 0;
}

/** Growable flat arrays of a chunk's documents. */
class ChunkOutput {
  private readonly ids: string[] = [];
  private lines = new Uint32Array(1024);
  private offsets = new Uint32Array(1025);
  private terms: Uint32Array;
  private weights: Float32Array;
  private docs = 0;
  private postings = 0;
  private readonly errors: { line: number; message: string }[] = [];

  constructor(chunkBytes: number) {
    // A posting takes a token and a space at least, usually a few repeats of them.
    const guess = Math.max(1024, Math.ceil(chunkBytes / 16));
    this.terms = new Uint32Array(guess);
    this.weights = new Float32Array(guess);
  }

  error(line: number, message: string): void {
    this.errors.push({ line, message });
  }

  startDocument(id: string, line: number, maxPostings: number): void {
    if (this.docs + 1 >= this.lines.length) {
      this.lines = grow(this.lines, this.lines.length * 2);
      this.offsets = grow(this.offsets, this.lines.length + 1);
    }
    if (this.postings + maxPostings > this.terms.length) {
      const size = Math.max(this.terms.length * 2, this.postings + maxPostings);
      this.terms = grow(this.terms, size);
      this.weights = grow(this.weights, size);
    }
    this.ids.push(id);
    this.lines[this.docs] = line;
  }

  posting(term: number, weight: number): void {
    this.terms[this.postings] = term;
    this.weights[this.postings++] = weight;
  }

  endDocument(): void {
    this.offsets[++this.docs] = this.postings;
  }

  dropDocument(): void {
    this.ids.pop();
    this.postings = this.offsets[this.docs]!;
  }

  finish(lineCount: number): ParsedAnseriniChunk {
    return {
      lineCount,
      ids: this.ids,
      lines: this.lines.slice(0, this.docs),
      offsets: this.offsets.slice(0, this.docs + 1),
      terms: this.terms.slice(0, this.postings),
      weights: this.weights.slice(0, this.postings),
      errors: this.errors,
    };
  }
}

function grow<T extends Uint32Array | Float32Array>(a: T, size: number): T {
  const b = (a instanceof Uint32Array ? new Uint32Array(size) : new Float32Array(size)) as T;
  b.set(a);
  return b;
}
