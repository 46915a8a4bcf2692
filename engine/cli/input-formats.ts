import { AnseriniVectorParser } from "./anserini-vector.js";
import { parseSparsedbLine } from "../export/sparsedb-jsonl.js";
import type { DocumentInput } from "../requests.js";
import { parseJsonVector } from "../input/json-vector.js";
import type { Vocabulary } from "../vocabulary.js";

/**
 * The line formats `sparsedb ingest` reads, one document a line:
 *
 * - jsonl: `{"id": "d1", "text": "...", "vector": {...}, ...metadata}`. `vector` is a map
 *   token -> weight (keys through the collection's vocabulary), or with `--vector-keys ids` a
 *   map term id -> weight; or `{"terms": [...], "weights": [...]}`, or `{"tokens": {token:
 *   weight}}` (input/json-vector.ts). Every other field is metadata.
 * - anserini: `id<TAB>tok tok tok ...`, Anserini's pre-encoded TSV: a token's weight is its
 *   repeat count divided by the file's scale (`--scale`, 100 by default).
 * - msmarco: `pid<TAB>passage text`, the MS MARCO collection TSV.
 * - sparsedb: `sparsedb export --format jsonl`'s lossless lines (engine/export/sparsedb-jsonl.ts),
 *   what `sparsedb import` reads.
 */
export type InputFormat = "jsonl" | "anserini" | "msmarco" | "sparsedb";
export const INPUT_FORMATS: readonly InputFormat[] = ["jsonl", "anserini", "msmarco", "sparsedb"];

export interface LineParserOptions {
  format: InputFormat;
  vocabulary: Vocabulary | undefined;
  /** The JSON field holding the text (default "text"). */
  textField: string;
  vectorKeys: "tokens" | "ids";
  anseriniScale: number;
}

/** Parses one non-empty line; throws an Error whose message says what is wrong with it. */
export function parseDocumentLine(line: string, o: LineParserOptions): DocumentInput {
  switch (o.format) {
    case "jsonl":
      return parseJsonLine(line, o);
    case "anserini": {
      const tab = line.indexOf("\t");
      if (tab <= 0) throw new Error(NO_TAB);
      return { id: line.slice(0, tab), vector: anseriniParser(o).parse(line, tab + 1) };
    }
    case "msmarco": {
      const [id, text] = splitTab(line);
      return { id, text };
    }
    case "sparsedb":
      return parseSparsedbLine(line, o.vocabulary);
  }
}

const NO_TAB = "expected `id<TAB>...`: no tab after a non-empty id";

/** One Anserini parser (its reused count array) per parser options, i.e. per ingest. */
const anseriniParsers = new WeakMap<LineParserOptions, AnseriniVectorParser>();

function anseriniParser(o: LineParserOptions): AnseriniVectorParser {
  let p = anseriniParsers.get(o);
  if (p === undefined) anseriniParsers.set(o, (p = new AnseriniVectorParser(requireVocabulary(o), o.anseriniScale)));
  return p;
}

function splitTab(line: string): [string, string] {
  const tab = line.indexOf("\t");
  if (tab <= 0) throw new Error(NO_TAB);
  return [line.slice(0, tab), line.slice(tab + 1)];
}

/** For token vectors (jsonl token maps, Anserini, query files) into a collection without a vocabulary. */
export const NO_VOCABULARY = 'token vectors need the collection\'s vocabulary, and this collection has none: give vectors by term id, {"terms": [...], "weights": [...]}';

function requireVocabulary(o: LineParserOptions): Vocabulary {
  if (o.vocabulary === undefined) throw new Error(NO_VOCABULARY);
  return o.vocabulary;
}

function parseJsonLine(line: string, o: LineParserOptions): DocumentInput {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new Error("expected a JSON object {\"id\", \"text\"?, \"vector\"?, ...}");
  const { id, vector, dense, [o.textField]: text, ...rest } = obj as Record<string, unknown>;
  if (typeof id !== "string" && typeof id !== "number") throw new Error(`"id" must be a string or a number, got ${JSON.stringify(id)}`);
  const doc: DocumentInput = { id: String(id) };
  if (text !== undefined && text !== null) {
    if (typeof text !== "string") throw new Error(`"${o.textField}" must be a string`);
    doc.text = text;
  }
  if (vector !== undefined && vector !== null) {
    doc.vector = parseJsonVector(vector, { vocabulary: o.vocabulary, bareKeys: o.vectorKeys, noVocabulary: NO_VOCABULARY, role: "document" });
    delete doc.text; // a given vector wins; the text stays available as metadata below
    if (text !== undefined) rest[o.textField] = text;
  }
  // A dense vector (an array of numbers) goes to the collection's dense vectors; the library checks it.
  if (dense !== undefined && dense !== null) {
    if (!Array.isArray(dense)) throw new Error(`"dense" must be an array of numbers`);
    doc.dense = dense as number[];
  }
  if (doc.vector === undefined && doc.text === undefined && doc.dense === undefined) throw new Error(`needs a "vector", a "${o.textField}" or a "dense"`);
  if (Object.keys(rest).length > 0) doc.metadata = rest;
  return doc;
}

/** The format a file name implies, if any (.tsv is ambiguous: anserini or msmarco). */
export function formatFromName(path: string): InputFormat | undefined {
  const p = path.replace(/\.gz$/, "");
  if (p.endsWith(".jsonl") || p.endsWith(".json") || p.endsWith(".ndjson")) return "jsonl";
  return undefined;
}
