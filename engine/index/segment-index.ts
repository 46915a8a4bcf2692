import { SparseDbError } from "../errors.js";
import { ForwardIndex, type TermArray } from "./forward-index.js";
import { InvertedIndex, type InvertedIndexArrays } from "./inverted-index.js";
import { Quantizer } from "./quantizer.js";

export type SectionArray = Uint8Array | Uint16Array | Uint32Array | Float32Array;

export interface IndexSections {
  meta: Record<string, number | string>;
  arrays: Record<string, SectionArray>;
}

export interface IndexMemory {
  postings: number;
  /** Bytes of the inverted index: posting blocks, impacts, block-max and term tables. */
  invertedBytes: number;
  /** Bytes of the forward index (doc -> terms, float weights). */
  forwardBytes: number;
  invertedBytesPerPosting: number;
}

const INVERTED_KEYS = [
  "termBlockStart",
  "termPostingStart",
  "termMaxImpact",
  "blockLastDoc",
  "blockMaxImpact",
  "blockBits",
  "blockWordStart",
  "docWords",
  "impacts",
] as const;

/**
 * One immutable segment's searchable data: the quantized inverted index and the float forward
 * index beside it. toSections()/fromSections() are the seam to the storage layer, which writes
 * each array as a file section and hands back views into the file buffer.
 */
export class SegmentIndex {
  readonly inverted: InvertedIndex;
  readonly forward: ForwardIndex;

  constructor(inverted: InvertedIndex, forward: ForwardIndex) {
    if (inverted.numDocs !== forward.numDocs) {
      throw new SparseDbError("CORRUPTION", `inverted index has ${inverted.numDocs} docs but forward index ${forward.numDocs}`);
    }
    this.inverted = inverted;
    this.forward = forward;
  }

  get numDocs(): number {
    return this.inverted.numDocs;
  }

  get numPostings(): number {
    return this.inverted.numPostings;
  }

  memory(): IndexMemory {
    const invertedBytes = this.inverted.byteLength();
    return {
      postings: this.numPostings,
      invertedBytes,
      forwardBytes: this.forward.byteLength(),
      invertedBytesPerPosting: this.numPostings > 0 ? invertedBytes / this.numPostings : 0,
    };
  }

  toSections(): IndexSections {
    const q = this.inverted.quantizer;
    const arrays: Record<string, SectionArray> = {};
    for (const k of INVERTED_KEYS) arrays[k] = this.inverted.a[k];
    arrays.fwdDocStart = this.forward.docStart;
    arrays.fwdTerms = this.forward.terms;
    arrays.fwdWeights = this.forward.weights;
    return {
      meta: { numDocs: this.numDocs, bits: q.bits, maxWeight: q.maxWeight, vocabSize: this.inverted.numTerms },
      arrays,
    };
  }

  static fromSections(meta: Record<string, number | string>, arrays: Record<string, SectionArray>): SegmentIndex {
    const num = (k: string): number => {
      const v = meta[k];
      if (typeof v !== "number" || !Number.isFinite(v)) throw new SparseDbError("CORRUPTION", `segment meta "${k}" is missing or not a number`);
      return v;
    };
    const arr = <T extends SectionArray>(k: string, ...types: (new (n: number) => T)[]): T => {
      const a = arrays[k];
      if (a === undefined || !types.some((t) => a instanceof t)) {
        throw new SparseDbError("CORRUPTION", `segment section "${k}" is missing or has the wrong element type`);
      }
      return a as T;
    };
    const quantizer = new Quantizer(num("bits"), num("maxWeight"));
    const inv: InvertedIndexArrays = {
      termBlockStart: arr("termBlockStart", Uint32Array),
      termPostingStart: arr("termPostingStart", Uint32Array),
      termMaxImpact: arr<Uint8Array | Uint16Array>("termMaxImpact", Uint8Array, Uint16Array),
      blockLastDoc: arr("blockLastDoc", Uint32Array),
      blockMaxImpact: arr<Uint8Array | Uint16Array>("blockMaxImpact", Uint8Array, Uint16Array),
      blockBits: arr("blockBits", Uint8Array),
      blockWordStart: arr("blockWordStart", Uint32Array),
      docWords: arr("docWords", Uint32Array),
      impacts: arr<Uint8Array | Uint16Array>("impacts", Uint8Array, Uint16Array),
    };
    const inverted = new InvertedIndex(num("numDocs"), quantizer, inv);
    const forward = new ForwardIndex(
      arr("fwdDocStart", Uint32Array),
      arr<TermArray>("fwdTerms", Uint16Array, Uint32Array),
      arr("fwdWeights", Float32Array),
    );
    return new SegmentIndex(inverted, forward);
  }
}
