import { unpackDocIds } from "../index/bit-packing.js";
import { BLOCK_SIZE, type ImpactArray, type InvertedIndex } from "../index/inverted-index.js";

/** The doc id of an exhausted cursor: larger than any real doc id. */
export const END = 0x7fffffff;

/**
 * Iterates one term's posting list in doc-id order, decoding one block of 128 at a time; the
 * one cursor interface under every document-at-a-time algorithm. `weight` is the query's
 * integer weight for the term (see query-plan.ts) and `maxScore` its largest possible
 * contribution, never below 0 (a document may lack the term).
 */
export class PostingCursor {
  readonly term: number;
  readonly weight: number;
  readonly maxScore: number;
  doc = END;

  private readonly blockLastDoc: Uint32Array;
  private readonly blockMaxImpact: ImpactArray;
  private readonly blockBits: Uint8Array;
  private readonly blockWordStart: Uint32Array;
  private readonly docWords: Uint32Array;
  private readonly impacts: ImpactArray;
  private readonly firstBlock: number;
  private readonly endBlock: number;
  private readonly firstPosting: number;
  private readonly endPosting: number;
  private readonly docs = new Int32Array(BLOCK_SIZE);
  private block: number;
  private blockLen = 0;
  private pos = 0;
  private postingBase = 0;
  /** Block-max WAND's shallow pointer: moves over blocks without decoding them. */
  private shallow: number;

  constructor(index: InvertedIndex, term: number, weight: number) {
    const a = index.a;
    this.term = term;
    this.weight = weight;
    this.blockLastDoc = a.blockLastDoc;
    this.blockMaxImpact = a.blockMaxImpact;
    this.blockBits = a.blockBits;
    this.blockWordStart = a.blockWordStart;
    this.docWords = a.docWords;
    this.impacts = a.impacts;
    this.firstBlock = a.termBlockStart[term]!;
    this.endBlock = a.termBlockStart[term + 1]!;
    this.firstPosting = a.termPostingStart[term]!;
    this.endPosting = a.termPostingStart[term + 1]!;
    this.maxScore = Math.max(0, weight * a.termMaxImpact[term]!);
    this.block = this.firstBlock;
    this.shallow = this.firstBlock;
    if (this.block < this.endBlock) {
      this.decode();
      this.doc = this.docs[0]!;
    }
  }

  get docFreq(): number {
    return this.endPosting - this.firstPosting;
  }

  /** The quantized impact of the current posting. */
  impact(): number {
    return this.impacts[this.postingBase + this.pos]!;
  }

  /** The current posting's contribution to the integer score. */
  score(): number {
    return this.weight * this.impacts[this.postingBase + this.pos]!;
  }

  next(): void {
    if (++this.pos < this.blockLen) {
      this.doc = this.docs[this.pos]!;
      return;
    }
    if (++this.block >= this.endBlock) {
      this.doc = END;
      return;
    }
    this.decode();
    this.doc = this.docs[0]!;
  }

  /** Moves to the first posting with doc >= target (no move when already there). */
  nextGEQ(target: number): void {
    if (target <= this.doc) return;
    const last = this.blockLastDoc;
    if (last[this.block]! < target) {
      let b = this.block + 1;
      if (this.shallow > b && last[this.shallow - 1]! < target) b = this.shallow;
      while (b < this.endBlock && last[b]! < target) b++;
      if (b >= this.endBlock) {
        this.block = this.endBlock;
        this.doc = END;
        return;
      }
      this.block = b;
      this.decode();
    }
    const docs = this.docs;
    let p = this.pos;
    while (docs[p]! < target) p++;
    this.pos = p;
    this.doc = docs[p]!;
  }

  /**
   * Moves the shallow pointer to the block that would hold `target` and returns that block's
   * largest contribution (0 past the end). Does not move the cursor itself.
   */
  blockMaxScoreGEQ(target: number): number {
    const last = this.blockLastDoc;
    let b = this.shallow < this.block ? this.block : this.shallow;
    while (b < this.endBlock && last[b]! < target) b++;
    this.shallow = b;
    if (b >= this.endBlock) return 0;
    const s = this.weight * this.blockMaxImpact[b]!;
    return s > 0 ? s : 0;
  }

  /**
   * The largest contribution of any posting with a doc in [from, to), from the block-max of
   * every block that may hold such a doc; moves the shallow pointer to the first of them.
   */
  windowMaxScore(from: number, to: number): number {
    const last = this.blockLastDoc;
    let b = this.shallow < this.block ? this.block : this.shallow;
    while (b < this.endBlock && last[b]! < from) b++;
    this.shallow = b;
    let max = 0;
    // Block b may hold docs < to while the previous block ends before to - 1.
    for (; b < this.endBlock; b++) {
      const m = this.blockMaxImpact[b]!;
      if (m > max) max = m;
      if (last[b]! >= to - 1) break;
    }
    const s = this.weight * max;
    return s > 0 ? s : 0;
  }

  /** The last doc id of the shallow pointer's block (END past the end). */
  shallowBlockLastDoc(): number {
    return this.shallow < this.endBlock ? this.blockLastDoc[this.shallow]! : END;
  }

  private decode(): void {
    const b = this.block;
    const firstInBlock = this.firstPosting + (b - this.firstBlock) * BLOCK_SIZE;
    const n = Math.min(BLOCK_SIZE, this.endPosting - firstInBlock);
    const prev = b === this.firstBlock ? -1 : this.blockLastDoc[b - 1]!;
    unpackDocIds(this.docWords, this.blockWordStart[b]!, n, this.blockBits[b]!, prev, this.docs);
    this.blockLen = n;
    this.pos = 0;
    this.postingBase = firstInBlock;
  }

  /**
   * Adds the contribution of every posting with doc < end to acc[doc - start], marks the doc
   * in the `seen` bitset, and leaves the cursor on the first posting >= end. Returns the
   * number of postings added. The hot loop of window-at-a-time algorithms.
   */
  accumulate(start: number, end: number, acc: Float64Array, seen: Uint32Array): number {
    let added = 0;
    const impacts = this.impacts, docs = this.docs, w = this.weight;
    while (this.doc < end) {
      const base = this.postingBase, len = this.blockLen;
      let p = this.pos;
      for (; p < len; p++) {
        const d = docs[p]!;
        if (d >= end) break;
        const off = d - start;
        acc[off] += w * impacts[base + p]!;
        seen[off >>> 5]! |= 1 << (off & 31);
      }
      added += p - this.pos;
      if (p < len) {
        this.pos = p;
        this.doc = docs[p]!;
        return added;
      }
      if (++this.block >= this.endBlock) {
        this.pos = len;
        this.doc = END;
        return added;
      }
      this.decode();
      this.doc = docs[0]!;
    }
    return added;
  }
}

/**
 * Adds weight x impact of every posting of `term` to bounds[doc >>> shift]: a whole posting
 * list summed into doc-range bounds, block by block, without a cursor.
 */
export function addListToRanges(index: InvertedIndex, term: number, weight: number, bounds: Int32Array, shift: number): number {
  const a = index.a;
  const docs = scratchDocs;
  const impacts = a.impacts;
  const fb = a.termBlockStart[term]!, eb = a.termBlockStart[term + 1]!;
  const pe = a.termPostingStart[term + 1]!;
  let p = a.termPostingStart[term]!;
  let prev = -1;
  for (let b = fb; b < eb; b++) {
    const n = Math.min(BLOCK_SIZE, pe - p);
    unpackDocIds(a.docWords, a.blockWordStart[b]!, n, a.blockBits[b]!, prev, docs);
    for (let j = 0; j < n; j++) bounds[docs[j]! >>> shift] += weight * impacts[p + j]!;
    prev = docs[n - 1]!;
    p += n;
  }
  return pe - a.termPostingStart[term]!;
}

const scratchDocs = new Int32Array(BLOCK_SIZE);
