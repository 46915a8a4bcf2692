/**
 * `node dist/bench/ingest/build-phases.js [--docs N (50000)] [--reps R (7)] [--root DIST]`
 *
 * CPU milliseconds (user + system, this thread only runs) per phase of building one segment
 * from N synthetic documents (bench/synthetic, ~120 nnz/doc), min and median of R builds:
 * the segment input (main thread), the forward index, the range layout, the id and metadata
 * sections, the checksums, and what a build worker does in all (buildSections + checksums).
 * `--root`: another build's dist folder (say, main's) to measure with the same script, for a
 * before/after table; its modules are loaded instead of this build's.
 */
import { fileURLToPath } from "node:url";
import { intOption, parseArgs } from "../cli-args.js";

const args = parseArgs(process.argv.slice(2), ["--docs", "--reps", "--root"], []);
const docs = intOption(args, "--docs", 50_000, 1);
const reps = intOption(args, "--reps", 7, 1);
const root = args.values.get("--root") ?? fileURLToPath(new URL("../..", import.meta.url));
// Untyped: the modules may come from another build, whose exports differ.
type Loose = Record<string, any>;
const load = async (path: string): Promise<Loose> => import(`${root}/${path}`);

const { generateDocumentBatch } = await load("bench/synthetic/generator.js");
const { SegmentInputBuilder } = await load("engine/collection/segment-input.js");
const { buildSections, idSections } = await load("engine/collection/build-sections.js");
const { sectionChecksums } = await load("storage/segment-file.js");
const { IndexBuilder } = await load("engine/index/index-builder.js");
const { RangeLayout } = await load("engine/index/range-layout.js");

const VOCAB = 30522;
const batch = generateDocumentBatch(0, docs, { seed: 42 });
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const input = () => {
  const b = new SegmentInputBuilder(8, VOCAB, { docs, postings: batch.terms.length });
  for (let i = 0; i < docs; i++) {
    const from = batch.docOffsets[i], to = batch.docOffsets[i + 1];
    b.add(`doc-${i}`, batch.terms.subarray(from, to), batch.weights.subarray(from, to), null, 0);
  }
  return b.finish();
};
// The forward index and its range layout as buildSections makes them (fromFlat where this build has it).
const index = (inp: Loose) => {
  if (typeof IndexBuilder.fromFlat === "function") return IndexBuilder.fromFlat({ bits: 8, vocabSize: VOCAB }, inp.docStart, inp.terms, inp.weights);
  const b = new IndexBuilder({ bits: 8, vocabSize: VOCAB });
  for (let d = 0; d + 1 < inp.docStart.length; d++) b.addArrays(inp.terms.subarray(inp.docStart[d], inp.docStart[d + 1]), inp.weights.subarray(inp.docStart[d], inp.docStart[d + 1]));
  return b.build();
};

const times: Record<string, number[]> = {};
const lap = (k: string, t0: number): number => {
  const t = cpu();
  (times[k] ??= []).push(t - t0);
  return t;
};
for (let r = 0; r < reps; r++) {
  let t = cpu();
  const inp = input();
  t = lap("segment input (main thread)", t);
  const seg = index(inp);
  t = lap("forward index + range layout", t);
  RangeLayout.build(seg.forward, seg.quantizer.maxWeight, VOCAB);
  t = lap("range layout alone", t);
  const sections = idSections(seg.toSections(), inp.ids, inp.metaBlob, inp.metaEnds, inp.lengths, 1);
  t = lap("id and metadata sections", t);
  sectionChecksums(sections);
  t = lap("checksums", t);
  const again = input();
  t = cpu();
  sectionChecksums(await buildSections(again, 1));
  lap("worker in all (buildSections + checksums)", t);
}
const postings = batch.terms.length;
console.log(`${docs} documents, ${postings} postings (${(postings / docs).toFixed(1)}/doc), ${reps} builds, modules of ${root}`);
for (const [k, v] of Object.entries(times)) {
  const s = v.slice().sort((a, b) => a - b);
  const med = s[s.length >> 1]!;
  console.log(`${k.padEnd(44)} min ${s[0]!.toFixed(1).padStart(7)}  median ${med.toFixed(1).padStart(7)} ms  ${((med * 1000) / docs).toFixed(2).padStart(6)} us/doc`);
}
