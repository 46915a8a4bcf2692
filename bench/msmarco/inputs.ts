import { basename } from "node:path";
import { SparseDbError } from "../../engine/errors.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import type { Vocabulary } from "../../engine/vocabulary.js";
import { beirDocumentText, readBeirCorpus, readBeirQueries } from "../readers/beir.js";
import { readLines } from "../../engine/input/line-reader.js";
import { readCollection, readQueries } from "../readers/msmarco.js";
import { loadQrels, type Qrels } from "../../engine/eval/qrels.js";
import { readVectors } from "../readers/vectors.js";
import type { MsmarcoOptions } from "./options.js";
import { batchVector, generateDocumentBatch } from "../synthetic/generator.js";
import { selectSubset } from "./subset.js";

/** A query or document as the benchmark holds it: a vector, or text still to encode. */
export interface BenchItem {
  id: string;
  text?: string;
  vector?: SparseVector;
}

export interface BenchInputs {
  /** Judgements of the chosen queries only. */
  qrels: Qrels;
  queries: BenchItem[];
  docs: BenchItem[];
  /** Documents the collection or vector file held. */
  collectionSize: number;
  /** Synthetic distractors appended to the real documents. */
  syntheticDocs: number;
  judgedDocs: number;
  missingJudgedDocs: number;
  querySource: string;
  docSource: string;
}

/**
 * Reads the judgements, the chosen queries (the first --query-limit judged ones, in file order)
 * and the document subset (see subset.ts), from vector files or text.
 */
export async function loadInputs(options: MsmarcoOptions, vocabulary: () => Promise<Vocabulary>): Promise<BenchInputs> {
  const allQrels = await loadQrels(options.qrels);
  const limit = options.queryLimit ?? Infinity;
  const queries: BenchItem[] = [];
  const seenQueries = new Set<string>();
  const take = (item: BenchItem): boolean => {
    if (!allQrels.has(item.id) || seenQueries.has(item.id)) return queries.length < limit;
    seenQueries.add(item.id);
    queries.push(item);
    return queries.length < limit;
  };
  let querySource: string;
  if (options.queryVectors !== undefined) {
    querySource = `vectors from ${basename(options.queryVectors)}`;
    for await (const r of readVectors(options.queryVectors, await vocabulary(), { role: "query", ...scale(options) })) {
      if (!take(r.text === undefined ? { id: r.id, vector: r.vector } : { id: r.id, vector: r.vector, text: r.text })) break;
    }
  } else {
    querySource = `text from ${basename(options.queries!)}, encoded`;
    const beir = (await firstNonBlankChar(options.queries!)) === "{";
    for await (const r of beir ? readBeirQueries(options.queries!) : readQueries(options.queries!)) {
      if (!take({ id: r.id, text: r.text })) break;
    }
  }
  if (queries.length === 0) {
    throw new SparseDbError("INVALID_ARGUMENT", `none of the queries has a judgement in ${options.qrels}; check that the query ids match the qrels`);
  }
  const qrels: Qrels = new Map(queries.map((q) => [q.id, allQrels.get(q.id)!]));
  const judged = new Set<string>();
  for (const docs of qrels.values()) for (const id of docs.keys()) judged.add(id);

  let docSource: string;
  let stream: AsyncIterable<BenchItem>;
  if (options.docVectors !== undefined) {
    docSource = `vectors from ${basename(options.docVectors)}`;
    stream = mapStream(readVectors(options.docVectors, await vocabulary(), { role: "document", ...scale(options) }), (r) =>
      r.text === undefined ? { id: r.id, vector: r.vector } : { id: r.id, vector: r.vector, text: r.text },
    );
  } else {
    docSource = `text from ${basename(options.collection!)}, encoded`;
    // A BEIR corpus.jsonl is JSON lines; an MS MARCO collection.tsv is pid<TAB>text.
    stream =
      (await firstNonBlankChar(options.collection!)) === "{"
        ? mapStream(readBeirCorpus(options.collection!), (d) => ({ id: d.id, text: beirDocumentText(d) }))
        : mapStream(readCollection(options.collection!), (r) => ({ id: r.id, text: r.text }));
  }
  const subset = await selectSubset(stream, (d) => d.id, judged, options.docs, options.seed);
  const syntheticDocs = options.syntheticDocs ?? 0;
  const docs = syntheticDocs > 0 ? [...subset.docs, ...syntheticDistractors(syntheticDocs, options.seed, subset.docs)] : subset.docs;
  return {
    qrels,
    queries,
    docs,
    syntheticDocs,
    collectionSize: subset.seen,
    judgedDocs: subset.judgedKept,
    missingJudgedDocs: subset.missingJudged.length,
    querySource,
    docSource,
  };
}

function scale(options: MsmarcoOptions): { tsvScale?: number } {
  return options.tsvScale === undefined ? {} : { tsvScale: options.tsvScale };
}

/**
 * `count` synthetic documents (bench/synthetic: seeded, calibrated to SPLADE++ statistics, float
 * weights like SPLADE's) with ids `synthetic-<i>`, which no real id may use.
 */
function syntheticDistractors(count: number, seed: number, real: readonly BenchItem[]): BenchItem[] {
  if (real.some((d) => d.id.startsWith("synthetic-"))) {
    throw new SparseDbError("INVALID_ARGUMENT", 'a real document id starts with "synthetic-", which --synthetic-docs reserves');
  }
  const out: BenchItem[] = [];
  const step = 65536;
  for (let first = 0; first < count; first += step) {
    const batch = generateDocumentBatch(first, Math.min(step, count - first), { seed });
    for (let i = 0; i < batch.count; i++) out.push({ id: `synthetic-${first + i}`, vector: batchVector(batch, i) });
  }
  return out;
}

/** The first non-blank character of a text file (plain or gzip), or undefined when it is empty. */
async function firstNonBlankChar(path: string): Promise<string | undefined> {
  for await (const { text } of readLines(path)) {
    const t = text.trim();
    if (t.length > 0) return t[0];
  }
  return undefined;
}

async function* mapStream<A, B>(source: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for await (const a of source) yield f(a);
}
