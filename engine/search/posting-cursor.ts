import { unpack } from "../index/bit-packing.js";
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
    unpack(this.docWords, this.blockWordStart[b]!, n, this.blockBits[b]!, this.docs);
    // Gaps -> doc ids: gap = doc - previous - 1, previous = -1 at the list's start.
    let prev = b === this.firstBlock ? -1 : this.blockLastDoc[b - 1]!;
    const docs = this.docs;
    for (let i = 0; i < n; i++) {
      prev += docs[i]! + 1;
      docs[i] = prev;
    }
    this.blockLen = n;
    this.pos = 0;
    this.postingBase = firstInBlock;
  }
}
