import type { Sections, SectionArray } from "../../storage/segment-file.js";
import { IndexBuilder } from "../index/index-builder.js";
import { buildIdHash } from "./id-hash.js";
import type { SegmentInput } from "./segment-input.js";
import type { DenseMetric } from "../dense/dense-metric.js";
import { FLAT_BELOW_ROWS, HnswDenseIndex } from "../dense/hnsw-dense-index.js";

/**
 * The CPU-heavy half of making a segment: quantize and lay out the index, and lay out the id and
 * metadata tables, as the sections of a segment file (FORMAT.md, "Sections of a collection
 * segment"). Pure: runs on the main thread or in segment-build-worker.ts alike. `hnsw`: the
 * collection's dense metric when its dense index is "hnsw": a segment with more dense vectors
 * than the HNSW index would search flat anyway (FLAT_BELOW_ROWS) gets its graph, serialized as
 * the `dense.hnsw` section; merges rebuild it, since they build the merged segment anew.
 */
export async function buildSections(input: SegmentInput, segmentId: number, hnsw: DenseMetric | null = null): Promise<Sections> {
  // The input's docStart and weights become the index's (the input is not used afterwards).
  const idx = IndexBuilder.fromFlat({ bits: input.bits, vocabSize: input.vocabSize }, input.docStart, input.terms, input.weights).toSections();
  const dense = input.denseDocs !== null && input.denseVectors !== null ? { dims: input.denseDims, docs: input.denseDocs, vectors: input.denseVectors } : null;
  const sections = idSections(idx, input.ids, input.metaBlob, input.metaEnds, input.lengths, segmentId, input.textBlob, input.textEnds, dense);
  if (hnsw !== null && dense !== null && dense.docs.length > FLAT_BELOW_ROWS) {
    sections.arrays["dense.hnsw"] = (await HnswDenseIndex.build(dense.vectors, dense.dims, hnsw)).serialize();
  }
  return sections;
}

/** A segment's dense vectors: the docs that have one (ascending) and their rows (dims f32 each, in that order). */
export interface DenseRows {
  dims: number;
  docs: Uint32Array;
  vectors: Float32Array;
  /** The serialized HNSW graph over the rows (engine/dense/hnsw-dense-index.ts), when the segment has one. */
  hnsw?: Uint8Array;
}

/** Adds the id table, metadata and (when any document has one) length and text sections to an index's sections. */
export function idSections(
  idx: { meta: Record<string, number | string>; arrays: Record<string, SectionArray> },
  ids: string[],
  metaBlob: Uint8Array,
  metaEnds: Uint32Array,
  lengths: Uint32Array | null,
  segmentId: number,
  textBlob: Uint8Array | null = null,
  textEnds: Uint32Array | null = null,
  dense: DenseRows | null = null,
): Sections {
  const arrays: Record<string, SectionArray> = {};
  for (const [k, v] of Object.entries(idx.arrays)) arrays[`index.${k}`] = v;
  const idEnds = new Uint32Array(ids.length);
  let o = 0;
  ids.forEach((s, i) => (idEnds[i] = o += s.length));
  arrays["ids.text"] = new TextEncoder().encode(ids.join(""));
  arrays["ids.ends"] = idEnds;
  arrays["ids.hash"] = buildIdHash(ids.length, (d) => ids[d]!);
  arrays["meta.blob"] = metaBlob;
  arrays["meta.ends"] = metaEnds;
  if (lengths !== null) arrays["docs.lengths"] = lengths;
  if (textBlob !== null && textEnds !== null) {
    arrays["docs.text"] = textBlob;
    arrays["docs.textEnds"] = textEnds;
  }
  const meta: Record<string, number | string> = { segmentId };
  if (dense !== null) {
    arrays["dense.docs"] = dense.docs;
    arrays["dense.vectors"] = dense.vectors;
    if (dense.hnsw !== undefined) arrays["dense.hnsw"] = dense.hnsw;
    meta["dense.dims"] = dense.dims;
  }
  for (const [k, v] of Object.entries(idx.meta)) meta[`index.${k}`] = v;
  return { meta, arrays };
}
