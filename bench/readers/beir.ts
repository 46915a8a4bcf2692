import { existsSync } from "node:fs";
import { join } from "node:path";
import { SparseDbError } from "../../engine/errors.js";
import { RecordStream, type RecordReadOptions } from "../../engine/input/record-stream.js";
import { readBeirQrels, type Judgement } from "../../engine/eval/qrels.js";
import type { TextRecord } from "./msmarco.js";

/** A BEIR corpus document: `{"_id", "title", "text"}`. */
export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

/** The files of a BEIR dataset folder (each may also be gzipped: `corpus.jsonl.gz`). */
export interface BeirPaths {
  corpus: string;
  queries: string;
  qrels: string;
}

/** Finds corpus.jsonl, queries.jsonl and qrels/<split>.tsv (or their .gz) in a BEIR folder. */
export function beirPaths(folder: string, split = "test"): BeirPaths {
  const find = (name: string): string => {
    for (const candidate of [join(folder, name), join(folder, `${name}.gz`)]) {
      if (existsSync(candidate)) return candidate;
    }
    throw new SparseDbError(
      "NOT_FOUND",
      `${join(folder, name)} does not exist: a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/${split}.tsv`,
    );
  };
  return { corpus: find("corpus.jsonl"), queries: find("queries.jsonl"), qrels: find(join("qrels", `${split}.tsv`)) };
}

/** Streams a BEIR `corpus.jsonl`: `{"_id", "title"?, "text"}` a line. */
export function readBeirCorpus(path: string, options: RecordReadOptions = {}): RecordStream<BeirDocument> {
  return RecordStream.ofText(
    path,
    () => (line) => {
      const obj = parseObject(line);
      const id = idOf(obj);
      const text = obj["text"];
      if (typeof text !== "string") throw new Error(`document ${id} has no "text" string`);
      const title = obj["title"];
      if (title !== undefined && title !== null && typeof title !== "string") {
        throw new Error(`document ${id}: "title" is not a string`);
      }
      return { id, title: typeof title === "string" ? title : "", text };
    },
    options,
  );
}

/** Streams a BEIR `queries.jsonl`: `{"_id", "text"}` a line. */
export function readBeirQueries(path: string, options: RecordReadOptions = {}): RecordStream<TextRecord> {
  return RecordStream.ofText(
    path,
    () => (line) => {
      const obj = parseObject(line);
      const id = idOf(obj);
      const text = obj["text"];
      if (typeof text !== "string") throw new Error(`query ${id} has no "text" string`);
      return { id, text };
    },
    options,
  );
}

/** Streams the judgements of a BEIR folder's qrels/<split>.tsv. */
export function readBeirFolderQrels(folder: string, split = "test", options: RecordReadOptions = {}): RecordStream<Judgement> {
  return readBeirQrels(beirPaths(folder, split).qrels, options);
}

/** The text a BEIR document is encoded from: title and text joined by a space, as BEIR's baselines do. */
export function beirDocumentText(doc: BeirDocument): string {
  return doc.title.length > 0 ? `${doc.title} ${doc.text}` : doc.text;
}

function parseObject(line: string): Record<string, unknown> {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new Error("expected a JSON object");
  return obj as Record<string, unknown>;
}

function idOf(obj: Record<string, unknown>): string {
  const id = obj["_id"];
  if (typeof id === "string" && id.length > 0) return id;
  if (typeof id === "number") return String(id);
  throw new Error('the record has no "_id"');
}
