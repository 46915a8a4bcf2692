import { ChunkOutput, type ParsedChunk } from "./parsed-chunk.js";
import { FNV_OFFSET, FNV_PRIME, TokenTable } from "./token-table.js";

/**
 * Anserini pre-encoded TSV (`id<TAB>tok tok tok ...`, a token's weight its repeat count over the
 * scale) parsed straight from a chunk of the file's bytes (byte-chunks.ts) into flat typed arrays
 * (parsed-chunk.ts), without a string per line or per token: the bulk ingest's fast path, run in
 * worker threads (anserini-parse-pool.ts). The rules and messages are the line parser's
 * (anserini-vector.ts and input-formats.ts): blank lines are skipped, a line needs a non-empty id
 * before a tab, tokens are separated by spaces, an unknown token fails its line, a repeated
 * vocabulary token maps to its first id, and `\r\n` endings are accepted.
 *
 * One pass over each line's bytes: a token is scanned (and hashed) once, then the run of its
 * repeats that Anserini writes next to it is matched as a periodic pattern (each byte equal to
 * the one a token-plus-space earlier), one comparison per byte.
 */

const NEWLINE = 0x0a, TAB = 0x09, SPACE = 0x20, CR = 0x0d;

export const NO_TAB = "expected `id<TAB>...`: no tab after a non-empty id";

/** Whether a line ends at bytes[k]: the chunk's end, a newline, or the `\r` of `\r\n`. */
function lineEndsAt(bytes: Uint8Array, k: number, len: number): boolean {
  if (k >= len) return true;
  const b = bytes[k]!;
  return b === NEWLINE || (b === CR && (k + 1 >= len || bytes[k + 1] === NEWLINE));
}

export class AnseriniChunkParser {
  private readonly table: TokenTable;
  private readonly counts: Uint32Array;
  private touched = new Uint32Array(1024);
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  constructor(tokens: readonly string[], private readonly scale: number) {
    this.table = new TokenTable(tokens);
    this.counts = new Uint32Array(tokens.length);
  }

  parse(bytes: Uint8Array): ParsedChunk {
    const out = new ChunkOutput(bytes.length);
    const words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0, line = 0;
    while (pos < bytes.length) pos = this.parseLine(bytes, words, pos, ++line, out);
    return out.finish(line);
  }

  /** Parses the line starting at `from`; returns where the next one starts. */
  private parseLine(bytes: Uint8Array, words: DataView, from: number, line: number, out: ChunkOutput): number {
    const len = bytes.length;
    // visible: an ASCII byte other than whitespace; wide: a byte of a multi-byte character.
    let tab = from, visible = false, wide = false;
    for (; tab < len; tab++) {
      const b = bytes[tab]!;
      if (b === TAB || b === NEWLINE) break;
      if (b >= 0x80) wide = true;
      else if (b !== SPACE && (b < 0x09 || b > 0x0d)) visible = true;
    }
    if (tab >= len || bytes[tab] !== TAB) {
      // No tab: a blank line (trim() === "", Unicode spaces too), or a bad one.
      if (visible || (wide && !this.blankLine(bytes, from))) out.error(line, NO_TAB);
      return tab + 1;
    }
    // An id of whitespace only: the line may be blank, then it is skipped (rare: decode and trim).
    if (!visible && this.blankLine(bytes, from)) return nextLine(bytes, tab);
    if (tab === from) {
      out.error(line, NO_TAB);
      return nextLine(bytes, tab);
    }
    const counts = this.counts, table = this.table;
    let n = 0;
    let i = tab + 1;
    for (;;) {
      while (i < len && bytes[i] === SPACE) i++;
      if (lineEndsAt(bytes, i, len)) break;
      // The token: bytes above space; a control byte inside one (rare) makes it a "slow" token.
      let h = FNV_OFFSET;
      let j = i;
      let b = 0;
      while (j < len && (b = bytes[j]!) > SPACE) {
        h = Math.imul(h ^ b, FNV_PRIME);
        j++;
      }
      let plain = true;
      if (j < len && b !== SPACE && !lineEndsAt(bytes, j, len)) {
        plain = false;
        while (j < len && bytes[j] !== SPACE && !lineEndsAt(bytes, j, len)) h = Math.imul(h ^ bytes[j++]!, FNV_PRIME);
      }
      const id = table.lookup(bytes, words, i, j, h);
      if (id < 0) {
        this.reset(n);
        const tok = this.decoder.decode(bytes.subarray(i, j));
        out.error(line, `unknown token "${tok}": it is not in the vocabulary (${table.size} terms); use the model's tokenizer vocabulary`);
        return nextLine(bytes, j);
      }
      let repeats = 1;
      if (plain && j < len && bytes[j] === SPACE) {
        // Repeats: bytes[k] === bytes[k - period] holds through every " tok" that follows.
        const period = j - i + 1;
        let k = j + 1;
        // Four bytes at a time while they match (unaligned reads through a DataView), then bytes.
        while (k + 8 <= len && words.getUint32(k, true) === words.getUint32(k - period, true) && words.getUint32(k + 4, true) === words.getUint32(k + 4 - period, true)) k += 8;
        if (k + 4 <= len && words.getUint32(k, true) === words.getUint32(k - period, true)) k += 4;
        while (k < len && bytes[k] === bytes[k - period]) k++;
        let more = ((k - j - 1) / period) | 0; // repeats followed by a matched space
        if (j + (more + 1) * period === k && lineEndsAt(bytes, k, len)) more++; // and one ending the line
        repeats += more;
        j += more * period;
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
    out.startDocument(bytes, from, tab, line, n);
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
        return nextLine(bytes, i);
      }
      out.posting(t, w32);
    }
    out.endDocument();
    return nextLine(bytes, i);
  }

  /** Whether the line from `from` is all whitespace as String.prototype.trim sees it. */
  private blankLine(bytes: Uint8Array, from: number): boolean {
    let end = bytes.indexOf(NEWLINE, from);
    if (end < 0) end = bytes.length;
    return this.decoder.decode(bytes.subarray(from, end)).trim() === "";
  }

  private reset(n: number): void {
    for (let k = 0; k < n; k++) this.counts[this.touched[k]!] = 0;
  }
}

/** Where the line holding bytes[at] ends, plus one. */
function nextLine(bytes: Uint8Array, at: number): number {
  const end = bytes.indexOf(NEWLINE, at);
  return end < 0 ? bytes.length : end + 1;
}
