import { RecordStream, type RecordReadOptions } from "../../engine/input/record-stream.js";

/**
 * Readers for MS MARCO passage files, plain or gzip, streamed:
 * - `collection.tsv`: `pid<TAB>passage text`;
 * - `queries.*.tsv` and the Anserini topics files: `qid<TAB>query text`.
 * (TREC qrels are read by qrels.ts.)
 */
export interface TextRecord {
  id: string;
  text: string;
}

/** Streams an MS MARCO `collection.tsv` (pid<TAB>text). */
export function readCollection(path: string, options: RecordReadOptions = {}): RecordStream<TextRecord> {
  return readIdTextTsv(path, "pid", options);
}

/** Streams an MS MARCO queries or topics file (qid<TAB>text). */
export function readQueries(path: string, options: RecordReadOptions = {}): RecordStream<TextRecord> {
  return readIdTextTsv(path, "qid", options);
}

/** Streams `id<TAB>text` lines; the text is everything after the first tab, trimmed. */
export function readIdTextTsv(path: string, idName = "id", options: RecordReadOptions = {}): RecordStream<TextRecord> {
  return RecordStream.ofText(
    path,
    () => (line) => {
      const tab = line.indexOf("\t");
      if (tab < 0) throw new Error(`expected \`${idName}<TAB>text\` but the line has no tab`);
      const id = line.slice(0, tab).trim();
      if (id.length === 0) throw new Error(`the ${idName} before the tab is empty`);
      if (/\s/.test(id)) throw new Error(`the ${idName} "${id}" contains whitespace`);
      return { id, text: line.slice(tab + 1).trim() };
    },
    options,
  );
}
