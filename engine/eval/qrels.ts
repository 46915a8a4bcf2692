import { SparseDbError } from "../errors.js";
import { RecordStream, type RecordReadOptions } from "../input/record-stream.js";

/** One relevance judgement: a query, a document, and its graded relevance (0 = judged not relevant). */
export interface Judgement {
  queryId: string;
  docId: string;
  relevance: number;
}

/** Relevance judgements: query id -> document id -> relevance level. */
export type Qrels = Map<string, Map<string, number>>;

/**
 * Streams TREC qrels, `qid iter docid rel` separated by spaces or tabs (the iteration column is
 * `0` or `Q0` and ignored), plain or gzip. The relevance must be an integer.
 */
export function readTrecQrels(path: string, options: RecordReadOptions = {}): RecordStream<Judgement> {
  return RecordStream.ofText(
    path,
    () => (line) => {
      const fields = line.trim().split(/\s+/);
      if (fields.length !== 4) {
        throw new Error(`expected 4 fields \`qid iter docid rel\`, found ${fields.length}`);
      }
      return { queryId: fields[0]!, docId: fields[2]!, relevance: parseRelevance(fields[3]!) };
    },
    options,
  );
}

/**
 * Streams BEIR qrels (`qrels/<split>.tsv`): a header `query-id corpus-id score`, then
 * `qid<TAB>docid<TAB>score` lines. The header is required on the first line.
 */
export function readBeirQrels(path: string, options: RecordReadOptions = {}): RecordStream<Judgement> {
  return RecordStream.ofText(
    path,
    () => {
      let sawHeader = false;
      return (line) => {
        const fields = line.split("\t").map((f) => f.trim());
        if (!sawHeader) {
          if (fields[0] !== "query-id" || fields[1] !== "corpus-id") {
            throw new Error(`expected the header \`query-id<TAB>corpus-id<TAB>score\`, found "${line.slice(0, 80)}"`);
          }
          sawHeader = true;
          return undefined;
        }
        if (fields.length !== 3) throw new Error(`expected 3 tab-separated fields \`query-id corpus-id score\`, found ${fields.length}`);
        if (fields[0] === "" || fields[1] === "") throw new Error("empty query-id or corpus-id");
        return { queryId: fields[0]!, docId: fields[1]!, relevance: parseRelevance(fields[2]!) };
      };
    },
    options,
  );
}

function parseRelevance(field: string): number {
  if (!/^-?\d+$/.test(field)) throw new Error(`relevance "${field}" is not an integer`);
  return Number(field);
}

/** Collects judgements into a Qrels map. A repeated (query, doc) pair keeps its last relevance. */
export async function collectQrels(judgements: AsyncIterable<Judgement> | Iterable<Judgement>): Promise<Qrels> {
  const qrels: Qrels = new Map();
  for await (const j of judgements) {
    let docs = qrels.get(j.queryId);
    if (docs === undefined) {
      docs = new Map();
      qrels.set(j.queryId, docs);
    }
    docs.set(j.docId, j.relevance);
  }
  return qrels;
}

/** Reads a TREC or BEIR qrels file into a Qrels map, choosing the form by BEIR's header. */
export async function loadQrels(path: string, options: RecordReadOptions = {}): Promise<Qrels> {
  const head = await firstLine(path);
  const stream = head !== undefined && head.startsWith("query-id") ? readBeirQrels(path, options) : readTrecQrels(path, options);
  const qrels = await collectQrels(stream);
  if (qrels.size === 0) throw new SparseDbError("INVALID_ARGUMENT", `${path} holds no relevance judgements`);
  return qrels;
}

async function firstLine(path: string): Promise<string | undefined> {
  for await (const line of RecordStream.ofText(path, () => (text) => text, { limit: 1 })) return line;
  return undefined;
}
