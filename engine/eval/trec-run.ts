import { RecordStream, type RecordReadOptions } from "../input/record-stream.js";

/** One line of a TREC run file: `qid Q0 docid rank score tag`. */
export interface RunLine {
  queryId: string;
  docId: string;
  rank: number;
  score: number;
  tag: string;
}

/** Streams a TREC run file (6 fields separated by spaces or tabs), plain or gzip. */
export function readTrecRun(path: string, options: RecordReadOptions = {}): RecordStream<RunLine> {
  return RecordStream.ofText(
    path,
    () => (line) => {
      const f = line.trim().split(/\s+/);
      if (f.length !== 6) throw new Error(`expected 6 fields \`qid Q0 docid rank score tag\`, found ${f.length}`);
      const rank = Number(f[3]);
      if (!Number.isInteger(rank)) throw new Error(`rank "${f[3]}" is not an integer`);
      const score = Number(f[4]);
      if (f[4] === "" || !Number.isFinite(score)) throw new Error(`score "${f[4]}" is not a finite number`);
      return { queryId: f[0]!, docId: f[2]!, rank, score, tag: f[5]! };
    },
    options,
  );
}

/** Reads a TREC run file into query id -> retrieved documents (in file order). */
export async function loadTrecRun(path: string, options: RecordReadOptions = {}): Promise<Map<string, { docId: string; score: number }[]>> {
  const run = new Map<string, { docId: string; score: number }[]>();
  for await (const line of readTrecRun(path, options)) {
    let docs = run.get(line.queryId);
    if (docs === undefined) {
      docs = [];
      run.set(line.queryId, docs);
    }
    docs.push({ docId: line.docId, score: line.score });
  }
  return run;
}
