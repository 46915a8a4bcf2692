/**
 * Bit-packing of small unsigned integers into u32 words, LSB first; a value may straddle two
 * words. Posting blocks store their doc-id gaps this way (see inverted-index.ts).
 */

/** Bits needed to represent `v` (0 for 0). */
export function bitWidth(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v);
}

/** Number of u32 words that `n` values of `width` bits take. */
export function packedWords(n: number, width: number): number {
  return Math.ceil((n * width) / 32);
}

/**
 * Packs `values[0..n)` (each < 2^width, width <= 31) into `out` from word `outPos`; `out` must
 * be zero there. Returns the number of words written.
 */
export function pack(values: ArrayLike<number>, n: number, width: number, out: Uint32Array, outPos: number): number {
  if (width === 0) return 0;
  let w = outPos;
  let bitPos = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    out[w] = (out[w]! | (v << bitPos)) >>> 0;
    if (bitPos + width > 32) out[w + 1] = (out[w + 1]! | (v >>> (32 - bitPos))) >>> 0;
    bitPos += width;
    if (bitPos >= 32) {
      bitPos -= 32;
      w++;
    }
  }
  return packedWords(n, width);
}

/** Unpacks `n` values of `width` bits starting at word `pos` into `out[0..n)`. */
export function unpack(words: Uint32Array, pos: number, n: number, width: number, out: Int32Array): void {
  if (width === 0) {
    out.fill(0, 0, n);
    return;
  }
  const mask = width === 32 ? -1 : (1 << width) - 1;
  let w = pos;
  let bitPos = 0;
  for (let i = 0; i < n; i++) {
    let v = words[w]! >>> bitPos;
    if (bitPos + width > 32) v |= words[w + 1]! << (32 - bitPos);
    out[i] = v & mask;
    bitPos += width;
    if (bitPos >= 32) {
      bitPos -= 32;
      w++;
    }
  }
}

/**
 * Unpacks a posting block's gaps and turns them into doc ids in one pass (gap = doc - previous
 * - 1, `prev` = the doc before the block, -1 at a list's start): the decode of every search.
 */
export function unpackDocIds(words: Uint32Array, pos: number, n: number, width: number, prev: number, out: Int32Array): void {
  if (width === 0) {
    for (let i = 0; i < n; i++) out[i] = ++prev;
    return;
  }
  const mask = (1 << width) - 1; // width <= 31: doc ids fit 31 bits
  let w = pos;
  let bitPos = 0;
  for (let i = 0; i < n; i++) {
    let v = words[w]! >>> bitPos;
    bitPos += width;
    if (bitPos > 32) v |= words[w + 1]! << (32 - (bitPos - width));
    prev += (v & mask) + 1;
    out[i] = prev;
    if (bitPos >= 32) {
      bitPos -= 32;
      w++;
    }
  }
}
