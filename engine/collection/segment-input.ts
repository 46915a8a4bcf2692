import { GrowableArray } from "../index/growable-array.js";
import { NO_LENGTH } from "./corpus-statistics.js";

/**
 * The documents of a segment to be built, flattened into a few typed arrays so they can move to
 * a worker thread without copying (their buffers are transferred). Doc d's postings are
 * [docStart[d], docStart[d+1]); its metadata is metaBlob[metaEnds[d-1] .. metaEnds[d]).
 */
export interface SegmentInput {
  bits: number;
  vocabSize: number;
  ids: string[];
  docStart: Uint32Array;
  terms: Uint32Array;
  weights: Float32Array;
  metaBlob: Uint8Array;
  metaEnds: Uint32Array;
  /** Per document its length for the corpus statistics (NO_LENGTH: none); null when no document has one. */
  lengths: Uint32Array | null;
  /** Stored texts, UTF-8, doc d's at textBlob[textEnds[d-1] .. textEnds[d]) (empty: none); null when no document has one. */
  textBlob: Uint8Array | null;
  textEnds: Uint32Array | null;
  /** Dense vectors: dims (0: no document has one), the docs that have one (ascending), their rows (f32, row-major, in that order). */
  denseDims: number;
  denseDocs: Uint32Array | null;
  denseVectors: Float32Array | null;
}

/**
 * Collects documents (from a memtable flush or a merge) into a SegmentInput. Give the expected
 * document and posting counts when known: the arrays are then allocated once, at their size.
 */
export class SegmentInputBuilder {
  private readonly ids: string[] = [];
  private readonly docStart: GrowableArray<Uint32Array>;
  private readonly terms: GrowableArray<Uint32Array>;
  private readonly weights: GrowableArray<Float32Array>;
  private readonly metaChunks: Uint8Array[] = [];
  private readonly metaEnds: GrowableArray<Uint32Array>;
  private metaBytes = 0;
  private readonly lengths: GrowableArray<Uint32Array>;
  private counted = 0;
  private readonly textChunks: Uint8Array[] = [];
  private readonly textEnds: GrowableArray<Uint32Array>;
  private textBytes = 0;
  private denseDims = 0;
  private readonly denseDocs: GrowableArray<Uint32Array>;
  private readonly denseRows: Float32Array[] = [];

  constructor(private readonly bits: number, private readonly vocabSize: number, expected: { docs: number; postings: number } = { docs: 1024, postings: 4096 }) {
    this.docStart = new GrowableArray(Uint32Array, expected.docs + 1);
    this.metaEnds = new GrowableArray(Uint32Array, expected.docs);
    this.lengths = new GrowableArray(Uint32Array, expected.docs);
    this.textEnds = new GrowableArray(Uint32Array, expected.docs);
    this.denseDocs = new GrowableArray(Uint32Array, 16);
    this.terms = new GrowableArray(Uint32Array, expected.postings);
    this.weights = new GrowableArray(Float32Array, expected.postings);
    this.docStart.push(0);
  }

  get numDocs(): number {
    return this.ids.length;
  }

  /**
   * Appends a document; returns its doc id in the new segment. `text`: its stored text, as a
   * string (from the memtable) or UTF-8 bytes (from a segment, in a merge); null or empty: none.
   * `dense`: its dense vector, or null; every vector of a segment has the same length.
   */
  add(id: string, terms: Uint32Array | Uint16Array, weights: Float32Array, meta: Uint8Array | null, length: number, text: string | Uint8Array | null = null, dense: Float32Array | null = null): number {
    const n = terms.length;
    const at = this.terms.length;
    this.terms.reserve(n).set(terms, at); // typed-array set: a block copy, not a JS loop
    this.weights.reserve(n).set(weights, at);
    this.terms.length += n;
    this.weights.length += n;
    this.docStart.push(this.terms.length);
    if (meta && meta.length > 0) {
      this.metaChunks.push(meta);
      this.metaBytes += meta.length;
      if (this.metaBytes > 0xffffffff) throw new RangeError("segment metadata exceeds 4 GiB; flush smaller segments");
    }
    this.metaEnds.push(this.metaBytes);
    this.lengths.push(length);
    if (length !== NO_LENGTH) this.counted++;
    const textBytes = typeof text === "string" ? utf8.encode(text) : text;
    if (textBytes !== null && textBytes.length > 0) {
      this.textChunks.push(textBytes);
      this.textBytes += textBytes.length;
      if (this.textBytes > 0xffffffff) throw new RangeError("segment texts exceed 4 GiB; flush smaller segments");
    }
    this.textEnds.push(this.textBytes);
    if (dense !== null) {
      if (this.denseDims === 0) this.denseDims = dense.length;
      else if (dense.length !== this.denseDims) throw new RangeError(`document ${JSON.stringify(id)} has a dense vector of ${dense.length} values, others in its segment ${this.denseDims}`);
      this.denseDocs.push(this.ids.length);
      this.denseRows.push(dense);
    }
    this.ids.push(id);
    return this.ids.length - 1;
  }

  /** The input; the builder is done (nothing may be added afterwards). */
  finish(): SegmentInput {
    const metaBlob = concat(this.metaChunks, this.metaBytes);
    return {
      bits: this.bits,
      vocabSize: this.vocabSize,
      ids: this.ids,
      // take(): the arrays sized from `expected` are full, and become the input without a copy.
      docStart: this.docStart.take(),
      terms: this.terms.take(),
      weights: this.weights.take(),
      metaBlob,
      metaEnds: this.metaEnds.take(),
      lengths: this.counted > 0 ? this.lengths.take() : null,
      textBlob: this.textBytes > 0 ? concat(this.textChunks, this.textBytes) : null,
      textEnds: this.textBytes > 0 ? this.textEnds.take() : null,
      denseDims: this.denseDims,
      denseDocs: this.denseDims > 0 ? this.denseDocs.take() : null,
      denseVectors: this.denseDims > 0 ? concatRows(this.denseRows, this.denseDims) : null,
    };
  }
}

const utf8 = new TextEncoder();

function concatRows(rows: Float32Array[], dims: number): Float32Array {
  const out = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => out.set(r, i * dims));
  return out;
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
