import { AnseriniVectorParser } from "./anserini-vector.js";
import type { VectorInput } from "../requests.js";
import { parseJsonVector } from "../input/json-vector.js";
import { NO_VOCABULARY } from "./input-formats.js";
import type { Vocabulary } from "../vocabulary.js";

/**
 * The query files `sparsedb search --queries FILE` runs, one query a line:
 *
 * - text: the line is the query; its id is its line number.
 * - msmarco: `qid<TAB>query text` (MS MARCO's and BEIR-converted queries.tsv).
 * - anserini: `qid<TAB>tok tok tok ...`, Anserini's pre-encoded query vectors (a token's weight
 *   its repeat count over --scale), mapped through the collection's vocabulary.
 * - jsonl: `{"id": ..., "text": "..."}` or `{"id": ..., "vector": ...}` with the vector as
 *   `{"terms": [...], "weights": [...]}`, `{termId: weight}`, `{"tokens": {token: weight}}` or
 *   `{token: weight}`; tokens go through the collection's vocabulary (a server's is fetched).
 */
export type QueryFormat = "text" | "msmarco" | "anserini" | "jsonl";
export const QUERY_FORMATS: readonly QueryFormat[] = ["text", "msmarco", "anserini", "jsonl"];

export interface FileQuery {
  id: string;
  text?: string;
  vector?: VectorInput;
}

export interface QueryParserOptions {
  format: QueryFormat;
  vocabulary: Vocabulary | undefined;
  anseriniScale: number;
}

/**
 * The format a query file's name and first non-empty line suggest, and why. A tab makes it
 * `qid<TAB>...`: Anserini's vectors when the part after the tab repeats a token next to itself
 * (Anserini writes a token's weight as repeats) or holds a `##` word piece, MS MARCO text
 * otherwise. `--format` overrides the guess.
 */
export function detectQueryFormat(path: string, firstLine: string | undefined): { format: QueryFormat; why: string } {
  const name = path.replace(/\.gz$/, "");
  if (/\.(jsonl|ndjson|json)$/.test(name)) return { format: "jsonl", why: "the file name" };
  if (firstLine === undefined) return { format: "text", why: "an empty file" };
  const line = firstLine.trim();
  if (line.startsWith("{")) return { format: "jsonl", why: "a first line starting with {" };
  const tab = firstLine.indexOf("\t");
  if (tab <= 0) return { format: "text", why: "a first line without a tab" };
  const tokens = firstLine.slice(tab + 1).trim().split(/ +/);
  const repeats = tokens.some((t, i) => i > 0 && t === tokens[i - 1]);
  if (repeats || tokens.some((t) => t.startsWith("##"))) return { format: "anserini", why: "repeated word pieces after the tab" };
  return { format: "msmarco", why: "qid<TAB>text on the first line" };
}

/** One Anserini parser (its reused count array) per parser options, i.e. per run. */
const anseriniParsers = new WeakMap<QueryParserOptions, AnseriniVectorParser>();

/** Parses one non-empty line; throws an Error whose message says what is wrong with it. */
export function parseQueryLine(line: string, lineNumber: number, o: QueryParserOptions): FileQuery {
  switch (o.format) {
    case "text":
      return { id: String(lineNumber), text: line.trim() };
    case "msmarco": {
      const [id, text] = splitTab(line);
      if (text.trim() === "") throw new Error(`query ${id} has no text after the tab`);
      return { id, text };
    }
    case "anserini": {
      const [id] = splitTab(line);
      let p = anseriniParsers.get(o);
      if (p === undefined) anseriniParsers.set(o, (p = new AnseriniVectorParser(vocabulary(o), o.anseriniScale)));
      return { id, vector: p.parse(line, line.indexOf("\t") + 1) };
    }
    case "jsonl":
      return parseJsonQuery(line, o);
  }
}

function splitTab(line: string): [string, string] {
  const tab = line.indexOf("\t");
  if (tab <= 0) throw new Error("expected `qid<TAB>...`: no tab after a non-empty query id");
  const id = line.slice(0, tab).trim();
  if (/\s/.test(id) || id === "") throw new Error(`query id "${id}" is empty or holds whitespace`);
  return [id, line.slice(tab + 1)];
}

function vocabulary(o: QueryParserOptions): Vocabulary {
  if (o.vocabulary === undefined) throw new Error(NO_VOCABULARY);
  return o.vocabulary;
}

function parseJsonQuery(line: string, o: QueryParserOptions): FileQuery {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new Error('expected a JSON object {"id", "text" | "vector"}');
  const { id, text, vector } = obj as Record<string, unknown>;
  if ((typeof id !== "string" || id === "") && typeof id !== "number") throw new Error(`"id" must be a non-empty string or a number, got ${JSON.stringify(id)}`);
  const qid = String(id);
  if (/\s/.test(qid)) throw new Error(`query id "${qid}" holds whitespace, which a TREC run cannot hold`);
  const hasText = text !== undefined && text !== null, hasVector = vector !== undefined && vector !== null;
  if (hasText === hasVector) throw new Error('give exactly one of "text" and "vector"');
  if (hasText) {
    if (typeof text !== "string") throw new Error('"text" must be a string');
    return { id: qid, text };
  }
  // A bare map whose keys are all decimal numbers is keyed by term ids; {"tokens": {...}} and
  // other maps are tokens, mapped here through the collection's vocabulary.
  const bareIds = vector !== null && typeof vector === "object" && Object.keys(vector).every((k) => /^\d+$/.test(k));
  return { id: qid, vector: parseJsonVector(vector, { vocabulary: o.vocabulary, bareKeys: bareIds ? "ids" : "tokens", noVocabulary: NO_VOCABULARY, role: "query" }) };
}
