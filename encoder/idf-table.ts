import { readFileSync } from "node:fs";
import { SparseDbError } from "../engine/errors.js";
import type { Vocabulary } from "../engine/vocabulary.js";

/** Weight of a token the IDF table does not list. */
export const MISSING_IDF = 1;

/**
 * An inference-free IDF table (JSON object token -> weight, as OpenSearch's inference-free sparse
 * models ship it) laid out by term id of `vocabulary`. Tokens outside the vocabulary are ignored;
 * vocabulary tokens the table lacks weigh MISSING_IDF.
 */
export function loadIdfTable(path: string, vocabulary: Vocabulary): Float32Array {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SparseDbError(
      e.code === "ENOENT" ? "ENCODER_FILE_NOT_FOUND" : "ENCODER_ERROR",
      `IDF table ${path} cannot be read (${e.code ?? e.message}); pass a JSON object token -> weight (e.g. idf/opensearch-inference-free-idf.json)`,
      { cause: err },
    );
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new SparseDbError("ENCODER_ERROR", `IDF table ${path} is not a JSON object token -> weight`);
  }
  const table = new Float32Array(vocabulary.size).fill(MISSING_IDF);
  let matched = 0;
  for (const [token, w] of Object.entries(json)) {
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      throw new SparseDbError("ENCODER_ERROR", `IDF table ${path}: weight of "${token}" is ${String(w)}; weights must be finite numbers >= 0`);
    }
    const id = vocabulary.idOf(token);
    if (id !== undefined) {
      table[id] = w;
      matched++;
    }
  }
  if (matched === 0) {
    throw new SparseDbError("ENCODER_ERROR", `IDF table ${path} shares no token with the tokenizer's vocabulary; use the table made for this tokenizer`);
  }
  return table;
}
