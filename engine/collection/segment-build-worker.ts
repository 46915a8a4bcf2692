/**
 * Worker thread body of SegmentBuildService: builds segment sections off the main thread, so
 * flushes and merges do not stall reads and writes. Receives {job, input, segmentId}, replies
 * {job, sections} (array buffers transferred back) or {job, error}.
 */
import { parentPort } from "node:worker_threads";
import { sectionChecksums } from "../../storage/segment-file.js";
import { buildSections } from "./build-sections.js";
import type { SegmentInput } from "./segment-input.js";
import type { DenseMetric } from "../dense/dense-metric.js";

parentPort!.on("message", async (m: { job: number; input: SegmentInput; segmentId: number; hnsw: DenseMetric | null }) => {
  try {
    const sections = await buildSections(m.input, m.segmentId, m.hnsw);
    // The file's checksums too, so the main thread does not spend its time on them.
    const checksums = sectionChecksums(sections);
    const transfer = [...new Set(Object.values(sections.arrays).map((a) => a.buffer as ArrayBuffer))];
    parentPort!.postMessage({ job: m.job, sections, checksums }, transfer);
  } catch (e) {
    parentPort!.postMessage({ job: m.job, error: (e as Error).message ?? String(e) });
  }
});
