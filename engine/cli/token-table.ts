/**
 * A vocabulary as an open-addressing hash table over its tokens' UTF-8 bytes, so a byte-chunk
 * parser looks a token up straight from the file's bytes without making a string. The hash is
 * FNV-1a (FNV_OFFSET, then h = Math.imul(h ^ byte, FNV_PRIME) per byte), computed by the caller
 * as it scans the token. A repeated vocabulary token maps to its first id, as Vocabulary does.
 */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

export class TokenTable {
  /** Every token's UTF-8 bytes, one after another; token id t's are [tokenStart[t], tokenStart[t + 1]). */
  private readonly tokenBytes: Uint8Array;
  private readonly tokenStart: Uint32Array;
  /** slot -> term id + 1 (0: empty); a power of two at least twice the vocabulary. */
  private readonly table: Int32Array;
  private readonly mask: number;

  constructor(readonly tokens: readonly string[]) {
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
    const seen = new Set<string>();
    for (let id = 0; id < tokens.length; id++) {
      if (seen.has(tokens[id]!)) continue;
      seen.add(tokens[id]!);
      let h = FNV_OFFSET;
      for (let k = this.tokenStart[id]!; k < this.tokenStart[id + 1]!; k++) h = Math.imul(h ^ this.tokenBytes[k]!, FNV_PRIME);
      let slot = h & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = id + 1;
    }
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The term id of bytes[i..j) (FNV-1a hash h), or -1. */
  lookup(bytes: Uint8Array, i: number, j: number, h: number): number {
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
}
