import { packValue, unpackValue } from "../../storage/msgpack.js";
import type { DocumentInput, ScrolledDocument } from "../requests.js";
import { SparseVector } from "../sparse-vector.js";
import type { Vocabulary } from "../vocabulary.js";
import { parseJsonVector } from "../input/json-vector.js";
import type { ExportFormat } from "./export-format.js";
import { float32Text, isExactJson } from "./json-values.js";

/**
 * sparsedb's own export form, lossless, one document a line, written by `sparsedb export
 * --format jsonl` and read back by `sparsedb import` (ingest's input format "sparsedb"):
 *
 *   {"id": "d1", "vector": {"terms": [5, 17], "weights": [0.5, 1.25]}, "metadata": {...}, "text": "..."}
 *
 * Weights are written in the fewest digits that give back their float32, so vectors come back
 * bit-identical. `metadata` is left out when there is none; metadata JSON cannot hold exactly
 * (binary values, non-finite numbers, -0) is written as `metadataMsgpack`, its MessagePack
 * bytes in base64. `text` is there when the collection stores texts. On reading, `vector` may
 * also be a map token -> weight (through the collection's vocabulary), and a line with a text
 * but no vector is encoded by the collection's encoder.
 */
export const SPARSEDB_LINE_FIELDS = ["id", "vector", "metadata", "metadataMsgpack", "text", "dense"] as const;

export function encodeSparsedbLine(d: ScrolledDocument): string {
  const v = d.vector!;
  const weights: string[] = [];
  for (let i = 0; i < v.nnz; i++) weights.push(float32Text(v.weights[i]!));
  let line = `{"id":${JSON.stringify(d.id)},"vector":{"terms":[${Array.from(v.terms).join(",")}],"weights":[${weights.join(",")}]}`;
  if (d.metadata !== null && d.metadata !== undefined) {
    line += isExactJson(d.metadata)
      ? `,"metadata":${JSON.stringify(d.metadata)}`
      : `,"metadataMsgpack":${JSON.stringify(Buffer.from(packValue(d.metadata)).toString("base64"))}`;
  }
  if (d.text !== undefined) line += `,"text":${JSON.stringify(d.text)}`;
  // The dense vector, when the document has one, in the fewest digits that give back each float32.
  if (d.dense !== undefined) line += `,"dense":[${Array.from(d.dense, float32Text).join(",")}]`;
  return line + "}\n";
}

/** Parses one line of the form; throws an Error saying what is wrong with it. */
export function parseSparsedbLine(line: string, vocabulary: Vocabulary | undefined): DocumentInput {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new Error(`expected a JSON object {"id", "vector", "metadata"?, "text"?}`);
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(SPARSEDB_LINE_FIELDS as readonly string[]).includes(k)) {
      throw new Error(`unknown field "${k}"; a sparsedb export line has ${SPARSEDB_LINE_FIELDS.join(", ")} (for other JSON lines use sparsedb ingest --format jsonl)`);
    }
  }
  if (typeof o.id !== "string") throw new Error(`"id" must be a string, got ${JSON.stringify(o.id) ?? "nothing"}`);
  const doc: DocumentInput = { id: o.id };
  if (o.vector !== undefined && o.vector !== null) doc.vector = parseVector(o.vector, vocabulary);
  if (o.text !== undefined && o.text !== null) {
    if (typeof o.text !== "string") throw new Error(`"text" must be a string`);
    doc.text = o.text;
  }
  if (o.dense !== undefined && o.dense !== null) {
    if (!Array.isArray(o.dense)) throw new Error(`"dense" must be an array of numbers`);
    doc.dense = o.dense as number[];
  }
  if (doc.vector === undefined && doc.text === undefined && doc.dense === undefined) throw new Error(`needs a "vector" (or a "text" for the collection's encoder, or a "dense")`);
  const hasMeta = o.metadata !== undefined && o.metadata !== null, hasPacked = o.metadataMsgpack !== undefined && o.metadataMsgpack !== null;
  if (hasMeta && hasPacked) throw new Error(`give "metadata" or "metadataMsgpack", not both`);
  const metadata = hasPacked ? unpackMetadata(o.metadataMsgpack) : o.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== "object" || Array.isArray(metadata)) throw new Error(`"metadata" must be an object`);
    doc.metadata = metadata as Record<string, unknown>;
  }
  return doc;
}

function parseVector(vector: unknown, vocabulary: Vocabulary | undefined): SparseVector {
  return parseJsonVector(vector, { vocabulary, bareKeys: "tokens", noVocabulary: "a token -> weight vector needs the collection's vocabulary, and it has none", role: "document" });
}

function unpackMetadata(packed: unknown): unknown {
  if (typeof packed !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(packed)) throw new Error(`"metadataMsgpack" must be a base64 string`);
  try {
    return unpackValue(Buffer.from(packed, "base64"));
  } catch (e) {
    throw new Error(`"metadataMsgpack" is not MessagePack (${(e as Error).message})`);
  }
}

export const jsonlFormat: ExportFormat = {
  name: "jsonl",
  summary: "sparsedb's own lossless JSON lines (id, vector as terms/weights, metadata, text); sparsedb import reads it",
  definition: (ctx) => ({ sparsedb: { collection: ctx.collection, config: ctx.config } }),
  encode: (documents) => documents.map(encodeSparsedbLine).join(""),
};
