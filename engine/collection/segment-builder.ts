import { IndexBuilder } from "../index/index-builder.js";
import { LiveSegment } from "./live-segment.js";

/** Accumulates documents (from a memtable flush or a merge) and builds a LiveSegment. */
export class SegmentBuilder {
  private readonly index: IndexBuilder;
  private readonly ids: string[] = [];
  private readonly metaChunks: Uint8Array[] = [];
  private readonly metaEnds: number[] = [];
  private metaBytes = 0;

  constructor(bits: number, vocabSize: number) {
    this.index = new IndexBuilder({ bits, vocabSize });
  }

  get numDocs(): number {
    return this.ids.length;
  }

  /** Appends a document; returns its doc id in the new segment. */
  add(id: string, terms: ArrayLike<number>, weights: ArrayLike<number>, meta: Uint8Array | null): number {
    const doc = this.index.addArrays(terms, weights);
    this.ids.push(id);
    if (meta && meta.length > 0) {
      this.metaChunks.push(meta);
      this.metaBytes += meta.length;
    }
    if (this.metaBytes > 0xffffffff) throw new RangeError("segment metadata exceeds 4 GiB; flush smaller segments");
    this.metaEnds.push(this.metaBytes);
    return doc;
  }

  build(segmentId: number): LiveSegment {
    const blob = new Uint8Array(this.metaBytes);
    let o = 0;
    for (const c of this.metaChunks) {
      blob.set(c, o);
      o += c.length;
    }
    return new LiveSegment({
      id: segmentId,
      index: this.index.build(),
      ids: this.ids,
      metaBlob: blob,
      metaEnds: Uint32Array.from(this.metaEnds),
      persisted: false,
    });
  }
}
