import { SparseDbError } from "../errors.js";
import { Quantizer } from "./quantizer.js";

/** Postings per block: the unit of bit-packing, skipping and block-max bounds. */
export const BLOCK_SIZE = 128;

export type ImpactArray = Uint8Array | Uint16Array;

/** The arrays an inverted index is made of; all may be views into one file buffer. */
export interface InvertedIndexArrays {
  /** Term t's blocks are [termBlockStart[t], termBlockStart[t+1]); length numTerms + 1. */
  termBlockStart: Uint32Array;
  /** Term t's postings are [termPostingStart[t], termPostingStart[t+1]); length numTerms + 1. */
  termPostingStart: Uint32Array;
  /** The largest impact in each term's list (0 for an empty list). */
  termMaxImpact: ImpactArray;
  /** Per block: the last doc id it holds. */
  blockLastDoc: Uint32Array;
  /** Per block: the largest impact it holds (block-max). */
  blockMaxImpact: ImpactArray;
  /** Per block: the bit width of its packed doc-id gaps. */
  blockBits: Uint8Array;
  /** Block b's packed gaps are docWords[blockWordStart[b] ..]; length numBlocks + 1. */
  blockWordStart: Uint32Array;
  /** Doc-id gaps, bit-packed per block: gap = doc - previousDoc - 1 (previousDoc = -1 at a list's start). */
  docWords: Uint32Array;
  /** One quantized impact per posting, in posting order. */
  impacts: ImpactArray;
}

/**
 * An immutable, quantized inverted index over dense doc ids 0..numDocs-1: per term a posting
 * list in blocks of 128 (bit-packed doc-id gaps, u8 or u16 impacts), with per-block last doc
 * id and maximum impact, and per-term maximum impact.
 */
export class InvertedIndex {
  readonly numDocs: number;
  readonly numTerms: number;
  readonly quantizer: Quantizer;
  readonly a: InvertedIndexArrays;

  constructor(numDocs: number, quantizer: Quantizer, arrays: InvertedIndexArrays) {
    this.numDocs = numDocs;
    this.quantizer = quantizer;
    this.a = arrays;
    this.numTerms = arrays.termBlockStart.length - 1;
    validate(this);
  }

  get numPostings(): number {
    return this.a.impacts.length;
  }

  get numBlocks(): number {
    return this.a.blockLastDoc.length;
  }

  docFreq(term: number): number {
    if (term >= this.numTerms) return 0;
    return this.a.termPostingStart[term + 1]! - this.a.termPostingStart[term]!;
  }

  maxImpact(term: number): number {
    return term < this.numTerms ? this.a.termMaxImpact[term]! : 0;
  }

  /** Bytes of every array, the whole inverted index. */
  byteLength(): number {
    let n = 0;
    for (const arr of Object.values(this.a)) n += (arr as ArrayBufferView).byteLength;
    return n;
  }
}

function validate(ix: InvertedIndex): void {
  const a = ix.a;
  const nb = a.blockLastDoc.length;
  const bad = (what: string): never => {
    throw new SparseDbError("CORRUPTION", `inverted index is inconsistent: ${what}`);
  };
  if (a.termPostingStart.length !== a.termBlockStart.length) bad("term offset arrays differ in length");
  if (a.termMaxImpact.length !== ix.numTerms) bad("termMaxImpact length");
  if (a.blockMaxImpact.length !== nb || a.blockBits.length !== nb || a.blockWordStart.length !== nb + 1) bad("block arrays differ in length");
  if (a.termBlockStart[ix.numTerms] !== nb) bad("last term block offset");
  if (a.termPostingStart[ix.numTerms] !== a.impacts.length) bad("last term posting offset");
  if (a.blockWordStart[nb] !== a.docWords.length) bad("last block word offset");
}
