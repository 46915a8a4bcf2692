import { GrowableArray } from "../index/growable-array.js";

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
}

/** Collects documents (from a memtable flush or a merge) into a SegmentInput. */
export class SegmentInputBuilder {
  private readonly ids: string[] = [];
  private readonly docStart = new GrowableArray(Uint32Array);
  private readonly terms = new GrowableArray(Uint32Array, 4096);
  private readonly weights = new GrowableArray(Float32Array, 4096);
  private readonly metaChunks: Uint8Array[] = [];
  private readonly metaEnds = new GrowableArray(Uint32Array);
  private metaBytes = 0;

  constructor(private readonly bits: number, private readonly vocabSize: number) {
    this.docStart.push(0);
  }

  get numDocs(): number {
    return this.ids.length;
  }

  /** Appends a document; returns its doc id in the new segment. */
  add(id: string, terms: ArrayLike<number>, weights: ArrayLike<number>, meta: Uint8Array | null): number {
    const n = terms.length;
    const t = this.terms.reserve(n), w = this.weights.reserve(n);
    const at = this.terms.length;
    for (let i = 0; i < n; i++) {
      t[at + i] = terms[i]!;
      w[at + i] = weights[i]!;
    }
    this.terms.length += n;
    this.weights.length += n;
    this.docStart.push(this.terms.length);
    if (meta && meta.length > 0) {
      this.metaChunks.push(meta);
      this.metaBytes += meta.length;
      if (this.metaBytes > 0xffffffff) throw new RangeError("segment metadata exceeds 4 GiB; flush smaller segments");
    }
    this.metaEnds.push(this.metaBytes);
    this.ids.push(id);
    return this.ids.length - 1;
  }

  finish(): SegmentInput {
    const metaBlob = new Uint8Array(this.metaBytes);
    let o = 0;
    for (const c of this.metaChunks) {
      metaBlob.set(c, o);
      o += c.length;
    }
    return {
      bits: this.bits,
      vocabSize: this.vocabSize,
      ids: this.ids,
      docStart: this.docStart.toArray(),
      terms: this.terms.toArray(),
      weights: this.weights.toArray(),
      metaBlob,
      metaEnds: this.metaEnds.toArray(),
    };
  }
}
