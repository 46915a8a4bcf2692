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
  /**
   * Four int32 a slot: term id + 1 (0: empty), the token's byte length, its first 8 bytes as two
   * little-endian words (zero padded): most tokens compare in the one cache line of their slot.
   * Slots: a power of two at least twice the vocabulary.
   */
  private readonly slots: Int32Array;
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
    this.slots = new Int32Array(size * 4);
    this.mask = size - 1;
    const seen = new Set<string>();
    for (let id = 0; id < tokens.length; id++) {
      if (seen.has(tokens[id]!)) continue;
      seen.add(tokens[id]!);
      let h = FNV_OFFSET;
      for (let k = this.tokenStart[id]!; k < this.tokenStart[id + 1]!; k++) h = Math.imul(h ^ this.tokenBytes[k]!, FNV_PRIME);
      let slot = h & this.mask;
      while (this.slots[slot * 4] !== 0) slot = (slot + 1) & this.mask;
      const from = this.tokenStart[id]!, n = this.tokenStart[id + 1]! - from;
      this.slots.set([id + 1, n, packed(this.tokenBytes, from, Math.min(n, 4)), n > 4 ? packed(this.tokenBytes, from + 4, Math.min(n - 4, 4)) : 0], slot * 4);
    }
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The term id of bytes[i..j) (FNV-1a hash h), or -1; `words` views the same bytes. */
  lookup(bytes: Uint8Array, words: DataView, i: number, j: number, h: number): number {
    const n = j - i;
    let w0: number, w1: number;
    if (i + 8 <= bytes.length) {
      // Whole words, the bytes past the token masked off.
      w0 = words.getInt32(i, true);
      w1 = words.getInt32(i + 4, true);
      if (n < 4) {
        w0 &= (1 << (8 * n)) - 1;
        w1 = 0;
      } else if (n < 8) w1 = n === 4 ? 0 : w1 & ((1 << (8 * (n - 4))) - 1);
    } else {
      w0 = packed(bytes, i, Math.min(n, 4));
      w1 = n > 4 ? packed(bytes, i + 4, Math.min(n - 4, 4)) : 0;
    }
    const slots = this.slots;
    let slot = h & this.mask;
    for (;;) {
      const at = slot * 4;
      const e = slots[at]!;
      if (e === 0) return -1;
      if (slots[at + 1] === n && slots[at + 2] === w0 && slots[at + 3] === w1 && (n <= 8 || this.sameTail(bytes, i, j, e - 1))) return e - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether bytes[i + 8..j) equal token t's bytes after its first 8. */
  private sameTail(bytes: Uint8Array, i: number, j: number, t: number): boolean {
    const from = this.tokenStart[t]! + 8;
    for (let k = i + 8; k < j; k++) if (bytes[k] !== this.tokenBytes[from + k - i - 8]) return false;
    return true;
  }
}

/** bytes[from..from + n) (n <= 4) as a little-endian int32, zero padded. */
function packed(bytes: Uint8Array, from: number, n: number): number {
  let w = 0;
  for (let k = n - 1; k >= 0; k--) w = (w << 8) | bytes[from + k]!;
  return w | 0;
}
