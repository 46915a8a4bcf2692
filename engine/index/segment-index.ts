import { SparseDbError } from "../errors.js";
import { ForwardIndex, type TermArray } from "./forward-index.js";
import { buildInverted } from "./index-builder.js";
import { InvertedIndex, type InvertedIndexArrays } from "./inverted-index.js";
import { Quantizer } from "./quantizer.js";
import { RANGE_LAYOUT_KEYS, RangeLayout } from "./range-layout.js";
import type { PlanSource } from "../search/query-plan.js";

export type SectionArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array;

export interface IndexSections {
  meta: Record<string, number | string>;
  arrays: Record<string, SectionArray>;
}

export interface IndexMemory {
  postings: number;
  /** Bytes of the block posting lists while resident (derived on first use by a reference algorithm), else 0. */
  invertedBytes: number;
  /** Bytes of the range layout that exact search runs on (always resident). */
  rangeBytes: number;
  /** Bytes of the forward index (doc -> terms, float weights). */
  forwardBytes: number;
  /** (invertedBytes + rangeBytes) / postings: what the index adds beside the forward index. */
  invertedBytesPerPosting: number;
}

/**
 * One immutable segment's searchable data: the float forward index, the range layout that the
 * default exact search runs on, and the quantized block posting lists of the reference
 * algorithms, derived from the forward index on first use (segment files do not store them;
 * files written before the range layout existed still carry them and are read as they are).
 * toSections()/fromSections() are the seam to the storage layer, which writes each array as a
 * file section and hands back views into the file buffer.
 */
export class SegmentIndex implements PlanSource {
  readonly quantizer: Quantizer;
  readonly numTerms: number;
  readonly ranges: RangeLayout;
  /** Swapped for views into the search kernel's memory once that holds a copy (range-search.ts). */
  forward: ForwardIndex;
  private postingLists: InvertedIndex | undefined;

  constructor(forward: ForwardIndex, quantizer: Quantizer, numTerms: number, ranges?: RangeLayout, inverted?: InvertedIndex) {
    this.forward = forward;
    this.quantizer = quantizer;
    this.numTerms = numTerms;
    this.ranges = ranges ?? RangeLayout.build(forward, quantizer.maxWeight, numTerms);
    if (this.ranges.numDocs !== forward.numDocs || this.ranges.numTerms !== numTerms) {
      throw new SparseDbError("CORRUPTION", `range layout has ${this.ranges.numDocs} docs and ${this.ranges.numTerms} terms, forward index ${forward.numDocs} docs and ${numTerms} terms`);
    }
    if (inverted !== undefined && (inverted.numDocs !== forward.numDocs || inverted.numTerms !== numTerms)) {
      throw new SparseDbError("CORRUPTION", `inverted index has ${inverted.numDocs} docs but forward index ${forward.numDocs}`);
    }
    this.postingLists = inverted;
  }

  /** The block posting lists of the reference algorithms, built from the forward index on first use. */
  get inverted(): InvertedIndex {
    return (this.postingLists ??= buildInverted(this.forward, this.quantizer, this.numTerms));
  }

  get numDocs(): number {
    return this.forward.numDocs;
  }

  get numPostings(): number {
    return this.forward.terms.length;
  }

  docFreq(term: number): number {
    return term < this.numTerms ? this.ranges.a.termDocFreq[term]! : 0;
  }

  memory(): IndexMemory {
    const invertedBytes = this.postingLists?.byteLength() ?? 0;
    const rangeBytes = this.ranges.byteLength();
    const postings = this.numPostings;
    return {
      postings,
      invertedBytes,
      rangeBytes,
      forwardBytes: this.forward.byteLength(),
      invertedBytesPerPosting: postings > 0 ? (invertedBytes + rangeBytes) / postings : 0,
    };
  }

  toSections(): IndexSections {
    const q = this.quantizer;
    const arrays: Record<string, SectionArray> = {};
    for (const k of RANGE_LAYOUT_KEYS) arrays[`range.${k}`] = this.ranges.a[k];
    arrays.fwdDocStart = this.forward.docStart;
    arrays.fwdTerms = this.forward.terms;
    arrays.fwdWeights = this.forward.weights;
    return {
      meta: { numDocs: this.numDocs, bits: q.bits, maxWeight: q.maxWeight, vocabSize: this.numTerms },
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
    const forward = new ForwardIndex(
      arr("fwdDocStart", Uint32Array),
      arr<TermArray>("fwdTerms", Uint16Array, Uint32Array),
      arr("fwdWeights", Float32Array),
    );
    const numDocs = num("numDocs");
    if (forward.numDocs !== numDocs) throw new SparseDbError("CORRUPTION", `segment meta says ${numDocs} docs but the forward index holds ${forward.numDocs}`);
    const numTerms = "vocabSize" in meta ? num("vocabSize") : arr("termBlockStart", Uint32Array).length - 1;
    let ranges: RangeLayout | undefined;
    if (arrays["range.termDocFreq"] !== undefined) {
      ranges = new RangeLayout(numDocs, quantizer.maxWeight, {
        termDocFreq: arr("range.termDocFreq", Uint32Array),
        termRow: arr<Int32Array>("range.termRow", Int32Array),
        rows: arr("range.rows", Uint8Array),
        nibbleRows: arr("range.nibbleRows", Uint8Array),
        nibbleStep: arr("range.nibbleStep", Float32Array),
        rareStart: arr("range.rareStart", Uint32Array),
        rare: arr("range.rare", Uint16Array),
        kthWeight: arr("range.kthWeight", Float32Array),
      });
    }
    let inverted: InvertedIndex | undefined;
    if (arrays.termBlockStart !== undefined) {
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
      inverted = new InvertedIndex(numDocs, quantizer, inv);
    }
    return new SegmentIndex(forward, quantizer, numTerms, ranges, inverted);
  }
}
