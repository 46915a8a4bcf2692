import type { LiveSegment } from "./live-segment.js";
import { SegmentInputBuilder, type SegmentInput } from "./segment-input.js";

export interface MergeResult {
  /** The surviving documents, ready for SegmentBuildService. */
  input: SegmentInput;
  /** Per source segment: old doc -> new doc, or -1 for a doc deleted when the merge read it. */
  docMaps: Int32Array[];
  /** Per source segment: its deletion version when the merge read it. */
  readVersions: number[];
}

const YIELD_EVERY_DOCS = 4096;

/**
 * Gathers the live documents of `sources` for one new segment (the build itself runs in
 * SegmentBuildService). Re-quantizes: the float vectors come from each source's forward index,
 * and the new segment takes one scale for all of them. Yields to the event loop every few thousand documents so reads and writes go on;
 * documents deleted meanwhile are carried over by the caller using `docMaps`.
 */
export async function mergeSegments(
  sources: LiveSegment[],
  bits: number,
  vocabSize: number,
  cancelled: () => boolean,
): Promise<MergeResult | null> {
  let docs = 0, postings = 0;
  for (const s of sources) {
    docs += s.liveDocs;
    postings += s.index.numPostings; // deleted docs' too: an upper bound is fine
  }
  const builder = new SegmentInputBuilder(bits, vocabSize, { docs, postings });
  const docMaps: Int32Array[] = [];
  const readVersions: number[] = [];
  let sinceYield = 0;
  for (const seg of sources) {
    const map = new Int32Array(seg.numDocs).fill(-1);
    docMaps.push(map);
    // Deletions made after this point are transferred by the caller; record where we read from.
    readVersions.push(seg.deleteVersion);
    const fwd = seg.index.forward;
    const deletedAtRead = Uint8Array.prototype.slice.call(seg.deleted);
    for (let d = 0; d < seg.numDocs; d++) {
      if ((deletedAtRead[d >> 3]! & (1 << (d & 7))) !== 0) continue;
      const s = fwd.docStart[d]!, e = fwd.docStart[d + 1]!;
      map[d] = builder.add(seg.idAt(d), fwd.terms.subarray(s, e), fwd.weights.subarray(s, e), seg.metaBytes(d), seg.lengthOf(d), seg.textBytes(d), seg.denseOf(d));
      if (++sinceYield >= YIELD_EVERY_DOCS) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
        if (cancelled()) return null;
      }
    }
  }
  return { input: builder.finish(), docMaps, readVersions };
}
