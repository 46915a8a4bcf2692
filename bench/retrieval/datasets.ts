import { IndexBuilder } from "../../engine/index/index-builder.js";
import type { SegmentIndex } from "../../engine/index/segment-index.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import type { Vocabulary } from "../../engine/vocabulary.js";
import { loadBertVocabulary } from "../readers/shared-data.js";
import { readVectorFile } from "../readers/vectors.js";
import { generateDocumentBatch, generateQueries } from "../synthetic/generator.js";
import { SegmentedIndex } from "./segmented-index.js";

export interface LoadedDocs {
  index: SegmentedIndex;
  ids: (doc: number) => string;
  synthetic: boolean;
  buildSeconds: number;
}

export interface LoadedQueries {
  ids: string[];
  vectors: SparseVector[];
  synthetic: boolean;
}

const isCount = (s: string) => /^[0-9_]+$/.test(s);

let vocabulary: Promise<Vocabulary> | undefined;
const vocab = () => (vocabulary ??= loadBertVocabulary());

/**
 * `--docs N` generates N synthetic documents (bench/synthetic, seeded); `--docs FILE` reads an
 * Anserini TSV or JSON-lines vector file, `--docs FILE,FILE,...` several, concatenated in order. The build time covers add() and build() only, not
 * generation or parsing.
 */
export async function loadDocs(spec: string, seed: number, bits: number, segments = 1): Promise<LoadedDocs> {
  // Doc i goes to segment floor(i * segments / n): consecutive doc ids per segment.
  const build = (n: number, add: (builder: IndexBuilder, first: number, end: number) => void): { index: SegmentedIndex; seconds: number } => {
    const parts: SegmentIndex[] = [];
    let seconds = 0;
    for (let s = 0; s < segments; s++) {
      const first = Math.floor((s * n) / segments), end = Math.floor(((s + 1) * n) / segments);
      const builder = new IndexBuilder({ bits });
      add(builder, first, end);
      const t0 = performance.now();
      parts.push(builder.build());
      seconds += (performance.now() - t0) / 1000;
    }
    return { index: new SegmentedIndex(parts), seconds };
  };
  if (isCount(spec)) {
    const n = Number(spec.replace(/_/g, ""));
    let addSeconds = 0;
    const { index, seconds } = build(n, (builder, first, end) => {
      const chunk = 50_000;
      for (let at = first; at < end; at += chunk) {
        const batch = generateDocumentBatch(at, Math.min(chunk, end - at), { seed });
        const t0 = performance.now();
        for (let i = 0; i < batch.count; i++) {
          const s = batch.docOffsets[i]!, e = batch.docOffsets[i + 1]!;
          builder.addArrays(batch.terms.subarray(s, e), batch.weights.subarray(s, e));
        }
        addSeconds += (performance.now() - t0) / 1000;
      }
    });
    return { index, ids: (d) => `d${d}`, synthetic: true, buildSeconds: addSeconds + seconds };
  }
  // FILE,FILE,...: the files' documents one after another (e.g. several BEIR query files).
  const records: Awaited<ReturnType<typeof readVectorFile>> = [];
  for (const file of spec.split(",").filter((f) => f.length > 0)) records.push(...(await readVectorFile(file, await vocab())));
  const t0 = performance.now();
  const { index } = build(records.length, (builder, first, end) => {
    for (let i = first; i < end; i++) builder.add(records[i]!.vector);
  });
  const ids = records.map((r) => r.id);
  return { index, ids: (d) => ids[d]!, synthetic: false, buildSeconds: (performance.now() - t0) / 1000 };
}

/** `--queries N` generates N synthetic queries; `--queries FILE` reads real query vectors. */
export async function loadQueries(spec: string, seed: number, limit: number | undefined): Promise<LoadedQueries> {
  if (isCount(spec)) {
    const n = Math.min(Number(spec.replace(/_/g, "")), limit ?? Infinity);
    // A seed apart from the documents' so queries are not copies of documents.
    const vectors = generateQueries(n, { seed: seed + 1_000_003 });
    return { ids: vectors.map((_, i) => `q${i}`), vectors, synthetic: true };
  }
  const records = await readVectorFile(spec, await vocab(), { role: "query", ...(limit !== undefined ? { limit } : {}) });
  return { ids: records.map((r) => r.id), vectors: records.map((r) => r.vector), synthetic: false };
}
