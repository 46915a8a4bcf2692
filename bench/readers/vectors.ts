import { SparseDbError } from "../../engine/errors.js";
import { SparseVector, type VectorRole } from "../../engine/sparse-vector.js";
import type { Vocabulary } from "../../engine/vocabulary.js";
import { readByteLines } from "../../engine/input/line-reader.js";
import { RecordStream, type ByteLineParser, type RecordReadOptions } from "../../engine/input/record-stream.js";

/**
 * Readers for pre-encoded sparse vectors in Anserini's two forms, plain or gzip (detected by the
 * file's magic bytes, not its name):
 *
 * - TSV: `id<TAB>tok tok tok ...`. A token's weight is how many times it is repeated, i.e. the
 *   float weight times a per-file scale, rounded (1000 in the MS MARCO dev-subset query file, 100
 *   in the BEIR ones). Without `tsvScale` the reader returns the raw repeat counts as weights: a
 *   query's ranking does not change when it is multiplied by a positive constant, so the scale
 *   only matters where weights are compared across files (give `tsvScale` there).
 * - JSON lines: `{"id": ..., "content"?: "...", "vector": {token: weight}}` (`contents` is
 *   accepted for `content`, as Anserini's document files name it).
 *
 * Tokens are WordPiece strings mapped to term ids through a Vocabulary; an unknown token, a
 * missing tab, a bad weight or bad JSON throws a MalformedLineError naming the file and line
 * (or, with `skipBadLines`, is passed over and counted).
 */
export interface VectorRecord {
  id: string;
  vector: SparseVector;
  /** The text, when the file carries it (JSON lines' `content`). */
  text?: string;
}

export type VectorFileFormat = "tsv" | "jsonl";

export interface VectorReadOptions extends RecordReadOptions {
  /** "auto" (the default) decides from the first non-blank line: `{` means JSON lines. */
  format?: VectorFileFormat | "auto";
  /** TSV only: divide repeat counts by this (1000 for MS MARCO dev, 100 for BEIR). Default: raw counts. */
  tsvScale?: number;
  /** "document" (default) rejects negative weights; "query" accepts any finite weight. */
  role?: VectorRole;
}

/** Streams the vectors of an Anserini TSV or JSON-lines file, plain or gzip. */
export function readVectors(
  path: string,
  vocabulary: Vocabulary,
  options: VectorReadOptions = {},
): RecordStream<VectorRecord> {
  const format = options.format ?? "auto";
  if (format !== "auto" && format !== "tsv" && format !== "jsonl") {
    throw new SparseDbError("INVALID_ARGUMENT", `unknown vector file format "${String(format)}"; use tsv, jsonl or auto`);
  }
  const scale = options.tsvScale;
  if (scale !== undefined && !(Number.isFinite(scale) && scale > 0)) {
    throw new SparseDbError("INVALID_ARGUMENT", `tsvScale must be a positive number, got ${String(scale)}`);
  }
  const role = options.role ?? "document";
  const makeParser = (): ByteLineParser<VectorRecord> => {
    let chosen: VectorFileFormat | undefined = format === "auto" ? undefined : format;
    return (bytes) => {
      chosen ??= bytes[firstNonSpace(bytes)] === OPEN_BRACE ? "jsonl" : "tsv";
      return chosen === "jsonl"
        ? parseJsonVectorLine(bytes.toString("utf8"), vocabulary, role)
        : parseTsvVectorBytes(bytes, vocabulary, role, scale);
    };
  };
  return RecordStream.ofBytes(path, makeParser, options);
}

const OPEN_BRACE = 0x7b;
const TAB = 0x09;
const SPACE = 0x20;

function firstNonSpace(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
  return i;
}

/** Whether a vector file is TSV or JSON lines, judged from its first non-blank line. */
export async function detectVectorFileFormat(path: string): Promise<VectorFileFormat> {
  for await (const { bytes } of readByteLines(path)) {
    const i = firstNonSpace(bytes);
    if (i < bytes.length && bytes[i] !== 0x0d) return bytes[i] === OPEN_BRACE ? "jsonl" : "tsv";
  }
  return "tsv";
}

/** Reads every vector of a file (up to `limit`) into an array. */
export async function readVectorFile(
  path: string,
  vocabulary: Vocabulary,
  options: VectorReadOptions = {},
): Promise<VectorRecord[]> {
  return readVectors(path, vocabulary, options).toArray();
}

/** Parses one Anserini TSV line `id<TAB>tok tok ...` (exported for tests and other readers). */
export function parseTsvVectorLine(
  text: string,
  vocabulary: Vocabulary,
  role: VectorRole = "document",
  scale?: number,
): VectorRecord {
  return parseTsvVectorBytes(Buffer.from(text, "utf8"), vocabulary, role, scale);
}

/** parseTsvVectorLine over a line's UTF-8 bytes: only the id and each distinct token are decoded. */
export function parseTsvVectorBytes(
  bytes: Buffer,
  vocabulary: Vocabulary,
  role: VectorRole = "document",
  scale?: number,
): VectorRecord {
  const tab = bytes.indexOf(TAB);
  if (tab < 0) throw new Error("expected `id<TAB>tok tok ...` but the line has no tab");
  const id = bytes.toString("utf8", 0, tab).trim();
  if (id.length === 0) throw new Error("the id before the tab is empty");
  const counts = countRepeatedTokens(bytes, tab + 1);
  const terms: number[] = [];
  const weights: number[] = [];
  for (const [token, count] of counts) {
    const termId = vocabulary.idOf(token);
    if (termId === undefined) {
      throw new Error(
        `unknown token "${token}" in vector ${id}: not in the ${vocabulary.size}-term vocabulary; ` +
          "use the vocabulary of the tokenizer that encoded the file",
      );
    }
    terms.push(termId);
    weights.push(scale === undefined ? count : count / scale);
  }
  return { id, vector: SparseVector.fromArrays(terms, weights, { role, vocabSize: vocabulary.size }) };
}

/**
 * Counts space-separated tokens from `start`. Anserini writes a token's repeats next to each
 * other, and a query line runs to ~150 KB (a weight of 2.443 at scale 1000 is 2443 repeats), so
 * a run is measured in place over the bytes: "T T T ..." is periodic with period |T|+1, so the
 * run extends while each byte equals the byte one period back. Only distinct runs are decoded.
 */
function countRepeatedTokens(bytes: Buffer, start: number): Map<string, number> {
  const counts = new Map<string, number>();
  const n = bytes.length;
  let pos = start;
  while (pos < n) {
    if (bytes[pos] === SPACE) {
      pos++;
      continue;
    }
    let space = bytes.indexOf(SPACE, pos);
    if (space < 0) space = n;
    const length = space - pos;
    const period = length + 1;
    // e: the first index, from the second copy on, where the periodic pattern breaks.
    let e = space + 1;
    while (e < n && bytes[e] === bytes[e - period]) e++;
    // A copy at q = pos + j*period is a whole token when it ends before the break (the byte after
    // it is then a space, by periodicity), or when the pattern runs to the end of the line.
    let copies = 1;
    for (let q = pos + period; q + length < e || (q + length === n && e === n); q += period) copies++;
    const token = bytes.toString("utf8", pos, space);
    counts.set(token, (counts.get(token) ?? 0) + copies);
    pos += copies * period;
  }
  return counts;
}

/** Parses one JSON-lines vector record (exported for tests and other readers). */
export function parseJsonVectorLine(text: string, vocabulary: Vocabulary, role: VectorRole = "document"): VectorRecord {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new Error("expected a JSON object {\"id\", \"vector\": {token: weight}}");
  }
  const rec = obj as Record<string, unknown>;
  const rawId = rec["id"] ?? rec["_id"];
  if (typeof rawId !== "string" && typeof rawId !== "number") {
    throw new Error("the record has no \"id\" (string or number)");
  }
  const id = String(rawId);
  const vec = rec["vector"];
  if (vec === null || typeof vec !== "object" || Array.isArray(vec)) {
    throw new Error(`record ${id} has no "vector" object {token: weight}`);
  }
  for (const [token, w] of Object.entries(vec as Record<string, unknown>)) {
    if (typeof w !== "number") throw new Error(`record ${id}: weight of token "${token}" is not a number`);
  }
  const vector = SparseVector.fromTokenMap(vec as Record<string, number>, vocabulary, { role });
  const content = rec["content"] ?? rec["contents"];
  return typeof content === "string" ? { id, vector, text: content } : { id, vector };
}
