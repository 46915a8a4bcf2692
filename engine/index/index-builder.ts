import { SparseDbError } from "../errors.js";
import { SparseVector } from "../sparse-vector.js";
import { BERT_VOCAB_SIZE } from "../vocabulary.js";
import { bitWidth, pack, packedWords } from "./bit-packing.js";
import { ForwardIndex, type TermArray } from "./forward-index.js";
import { GrowableArray } from "./growable-array.js";
import { BLOCK_SIZE, InvertedIndex, type ImpactArray } from "./inverted-index.js";
import { checkBits, quantizeWeight, Quantizer } from "./quantizer.js";
import { SegmentIndex } from "./segment-index.js";

export interface IndexBuilderOptions {
  /** Impact width in bits, 1..16; 8 by default. */
  bits?: number;
  /** Term ids must be below this; BERT's 30522 by default. */
  vocabSize?: number;
}

/** Most documents one segment may hold (doc ids and gaps must fit 31 bits). */
export const MAX_SEGMENT_DOCS = 0x7ffffffe;

/**
 * Builds an immutable SegmentIndex from document vectors: add() appends a document and returns
 * its dense doc id (0, 1, 2, ...); build() quantizes with one scale for the segment (its
 * largest weight) and lays out the posting lists.
 */
export class IndexBuilder {
  private readonly bits: number;
  private readonly vocabSize: number;
  private readonly docStart = new GrowableArray(Uint32Array);
  private readonly terms: GrowableArray<Uint16Array | Uint32Array>;
  private readonly weights = new GrowableArray(Float32Array);
  private maxWeight = 0;
  private built = false;

  constructor(options: IndexBuilderOptions = {}) {
    this.bits = options.bits ?? 8;
    checkBits(this.bits);
    this.vocabSize = options.vocabSize ?? BERT_VOCAB_SIZE;
    if (!Number.isInteger(this.vocabSize) || this.vocabSize < 1) {
      throw new SparseDbError("INVALID_ARGUMENT", `vocabSize must be a positive integer, got ${this.vocabSize}`);
    }
    this.terms = this.vocabSize <= 0x10000 ? new GrowableArray(Uint16Array, 4096) : new GrowableArray(Uint32Array, 4096);
    this.docStart.push(0);
  }

  get numDocs(): number {
    return this.docStart.length - 1;
  }

  /** Appends a document vector; returns its doc id. Weights must be >= 0. */
  add(vector: SparseVector): number {
    return this.addArrays(vector.terms, vector.weights);
  }

  /**
   * Appends a document from sorted, distinct term ids and non-negative finite weights (as a
   * SparseVector holds them); checked here so that a bad vector never reaches the index.
   */
  addArrays(terms: ArrayLike<number>, weights: ArrayLike<number>): number {
    if (this.built) throw new SparseDbError("INVALID_ARGUMENT", "this IndexBuilder has already built its index; make a new one");
    if (this.numDocs >= MAX_SEGMENT_DOCS) throw new SparseDbError("LIMIT_EXCEEDED", `a segment holds at most ${MAX_SEGMENT_DOCS} documents`);
    const n = terms.length;
    if (weights.length !== n) throw new SparseDbError("INVALID_VECTOR", "terms and weights differ in length");
    const t = this.terms.reserve(n);
    const w = this.weights.reserve(n);
    let kept = this.terms.length;
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const term = terms[i]!;
      const weight = weights[i]!;
      if (!(term > prev) || term >= this.vocabSize || !Number.isInteger(term) || !(weight >= 0) || weight === Infinity) {
        badPosting(this.numDocs, i, term, prev, weight, this.vocabSize);
      }
      prev = term;
      if (weight === 0) continue; // a zero weight is no posting
      t[kept] = term;
      w[kept] = weight;
      kept++;
      if (weight > this.maxWeight) this.maxWeight = weight;
    }
    this.terms.length = kept;
    this.weights.length = kept;
    this.docStart.push(this.terms.length);
    return this.numDocs - 1;
  }

  /**
   * Appends documents from flat arrays, doc d's entries at [docStart[d], docStart[d + 1]), with
   * addArrays' checks: one tight loop instead of a call and two views per document.
   */
  addFlat(docStart: Uint32Array, terms: Uint32Array | Uint16Array, weights: Float32Array): void {
    if (this.built) throw new SparseDbError("INVALID_ARGUMENT", "this IndexBuilder has already built its index; make a new one");
    const n = docStart.length - 1;
    if (n <= 0) return;
    if (this.numDocs + n > MAX_SEGMENT_DOCS) throw new SparseDbError("LIMIT_EXCEEDED", `a segment holds at most ${MAX_SEGMENT_DOCS} documents`);
    const total = docStart[n]! - docStart[0]!;
    if (terms.length < docStart[n]! || weights.length < docStart[n]!) throw new SparseDbError("INVALID_VECTOR", "terms and weights differ in length");
    const t = this.terms.reserve(total, true);
    const w = this.weights.reserve(total, true);
    const starts = this.docStart.reserve(n, true);
    const first = this.numDocs;
    const vocabSize = this.vocabSize;
    let kept = this.terms.length;
    let max = this.maxWeight;
    for (let d = 0; d < n; d++) {
      let prev = -1;
      for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
        const term = terms[i]!;
        const weight = weights[i]!;
        if (!(term > prev) || term >= vocabSize || !(weight >= 0) || weight === Infinity) badPosting(first + d, i - docStart[d]!, term, prev, weight, vocabSize);
        prev = term;
        if (weight === 0) continue; // a zero weight is no posting
        t[kept] = term;
        w[kept] = weight;
        kept++;
        if (weight > max) max = weight;
      }
      starts[first + d + 1] = kept;
    }
    this.terms.length = kept;
    this.weights.length = kept;
    this.docStart.length += n;
    this.maxWeight = max;
  }

  /**
   * The index of documents in flat arrays (doc d's entries at [docStart[d], docStart[d + 1]),
   * docStart[0] = 0), checked as addArrays checks them. Without zero weights (the usual case:
   * SparseVector drops them) docStart and weights become the index's own, without a copy, and
   * the terms are converted in one native copy: the caller must not change them afterwards.
   */
  static fromFlat(options: IndexBuilderOptions, docStart: Uint32Array, terms: Uint32Array | Uint16Array, weights: Float32Array): SegmentIndex {
    const builder = new IndexBuilder(options);
    const n = docStart.length - 1;
    const end = docStart[n] ?? 0;
    if (n < 1 || docStart[0] !== 0 || terms.length < end || weights.length < end || n > MAX_SEGMENT_DOCS) {
      builder.addFlat(docStart, terms, weights); // its errors, or an empty index
      return builder.build();
    }
    const zeros = checkFlat(docStart, terms, weights, builder.vocabSize);
    if (zeros.count > 0) {
      builder.addFlat(docStart, terms, weights);
      return builder.build();
    }
    const t = terms.subarray(0, end), w = weights.subarray(0, end);
    const termArray = builder.vocabSize <= 0x10000 ? (t instanceof Uint16Array ? t : new Uint16Array(t)) : t instanceof Uint32Array ? t : new Uint32Array(t);
    builder.built = true;
    return new SegmentIndex(new ForwardIndex(docStart, termArray, w), new Quantizer(builder.bits, Math.fround(zeros.maxWeight)), builder.vocabSize);
  }

  build(): SegmentIndex {
    if (this.built) throw new SparseDbError("INVALID_ARGUMENT", "this IndexBuilder has already built its index; make a new one");
    this.built = true;
    // take(): the builder is done with its arrays, so a full one becomes the index's without a copy.
    const forward = new ForwardIndex(this.docStart.take(), this.terms.take() as TermArray, this.weights.take());
    const quantizer = new Quantizer(this.bits, Math.fround(this.maxWeight));
    return new SegmentIndex(forward, quantizer, this.vocabSize);
  }
}

/** The error for a bad entry of a document (addArrays, addFlat, fromFlat). */
function badPosting(doc: number, entry: number, term: number, prev: number, weight: number, vocabSize: number): never {
  if (!(term > prev) || term >= vocabSize || !Number.isInteger(term)) {
    throw new SparseDbError("INVALID_VECTOR", `document ${doc}: term id ${term} at entry ${entry} is out of order, repeated or not in 0..${vocabSize - 1}`);
  }
  throw new SparseDbError("INVALID_VECTOR", `document ${doc}: weight ${weight} of term ${term} must be finite and >= 0`);
}

/** addArrays' checks over flat documents, without a copy: throws as it would; else the zero weights and the largest weight. */
function checkFlat(docStart: Uint32Array, terms: Uint32Array | Uint16Array, weights: Float32Array, vocabSize: number): { count: number; maxWeight: number } {
  let zeros = 0, max = 0;
  for (let d = 0; d + 1 < docStart.length; d++) {
    let prev = -1;
    for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
      const term = terms[i]!;
      const weight = weights[i]!;
      if (!(term > prev) || term >= vocabSize || !(weight >= 0) || weight === Infinity) badPosting(d, i - docStart[d]!, term, prev, weight, vocabSize);
      prev = term;
      if (weight === 0) zeros++;
      else if (weight > max) max = weight;
    }
  }
  return { count: zeros, maxWeight: max };
}

/** Transposes a forward index into quantized, block-packed posting lists. */
export function buildInverted(forward: ForwardIndex, quantizer: Quantizer, vocabSize: number): InvertedIndex {
  const numDocs = forward.numDocs;
  const { docStart, terms, weights } = forward;
  const numPostings = terms.length;

  // Pass 1: document frequencies -> posting offsets per term.
  const termPostingStart = new Uint32Array(vocabSize + 1);
  for (let i = 0; i < numPostings; i++) termPostingStart[terms[i]! + 1]!++;
  const termBlockStart = new Uint32Array(vocabSize + 1);
  for (let t = 0; t < vocabSize; t++) {
    const df = termPostingStart[t + 1]!;
    termPostingStart[t + 1] = termPostingStart[t]! + df;
    termBlockStart[t + 1] = termBlockStart[t]! + Math.ceil(df / BLOCK_SIZE);
  }
  const numBlocks = termBlockStart[vocabSize]!;

  // Pass 2: scatter doc ids and impacts into term order (docs arrive in increasing order).
  const postingDocs = new Uint32Array(numPostings);
  const impacts: ImpactArray = quantizer.bits <= 8 ? new Uint8Array(numPostings) : new Uint16Array(numPostings);
  const fill = termPostingStart.slice(0, vocabSize);
  const step = quantizer.step, maxImpact = quantizer.maxImpact;
  for (let d = 0; d < numDocs; d++) {
    for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
      const p = fill[terms[i]!]!++;
      postingDocs[p] = d;
      impacts[p] = quantizeWeight(weights[i]!, step, maxImpact);
    }
  }

  // Pass 3: per block, gap widths, block-max and last doc; then pack.
  const blockLastDoc = new Uint32Array(numBlocks);
  const blockMaxImpact: ImpactArray = quantizer.bits <= 8 ? new Uint8Array(numBlocks) : new Uint16Array(numBlocks);
  const termMaxImpact: ImpactArray = quantizer.bits <= 8 ? new Uint8Array(vocabSize) : new Uint16Array(vocabSize);
  const blockBits = new Uint8Array(numBlocks);
  const blockWordStart = new Uint32Array(numBlocks + 1);
  const gaps = new Uint32Array(BLOCK_SIZE);
  for (let t = 0; t < vocabSize; t++) {
    const ps = termPostingStart[t]!, pe = termPostingStart[t + 1]!;
    let prev = -1;
    let termMax = 0;
    for (let b = termBlockStart[t]!, p = ps; p < pe; b++, p += BLOCK_SIZE) {
      const end = Math.min(p + BLOCK_SIZE, pe);
      let maxGap = 0, maxImp = 0;
      for (let i = p; i < end; i++) {
        const g = postingDocs[i]! - prev - 1;
        prev = postingDocs[i]!;
        if (g > maxGap) maxGap = g;
        if (impacts[i]! > maxImp) maxImp = impacts[i]!;
      }
      blockLastDoc[b] = prev;
      blockMaxImpact[b] = maxImp;
      if (maxImp > termMax) termMax = maxImp;
      const width = bitWidth(maxGap);
      blockBits[b] = width;
      blockWordStart[b + 1] = blockWordStart[b]! + packedWords(end - p, width);
    }
    termMaxImpact[t] = termMax;
  }
  const docWords = new Uint32Array(blockWordStart[numBlocks]!);
  for (let t = 0; t < vocabSize; t++) {
    const ps = termPostingStart[t]!, pe = termPostingStart[t + 1]!;
    let prev = -1;
    for (let b = termBlockStart[t]!, p = ps; p < pe; b++, p += BLOCK_SIZE) {
      const end = Math.min(p + BLOCK_SIZE, pe);
      for (let i = p; i < end; i++) {
        gaps[i - p] = postingDocs[i]! - prev - 1;
        prev = postingDocs[i]!;
      }
      pack(gaps, end - p, blockBits[b]!, docWords, blockWordStart[b]!);
    }
  }
  return new InvertedIndex(numDocs, quantizer, {
    termBlockStart,
    termPostingStart,
    termMaxImpact,
    blockLastDoc,
    blockMaxImpact,
    blockBits,
    blockWordStart,
    docWords,
    impacts,
  });
}
