import { SparseVector } from "../sparse-vector.js";
import { checkVector } from "../validate-request.js";
import type { Vocabulary } from "../vocabulary.js";

/**
 * A sparse vector as the CLI's JSON line files give it (`ingest`'s and `import`'s documents,
 * `search --queries`' queries), turned into a SparseVector here, so a bad one (an unknown token
 * above all) is reported with its file and line before anything is sent:
 *
 * - `{"terms": [...], "weights": [...]}`: term ids;
 * - `{"tokens": {token: weight}}`: WordPiece tokens, through the collection's vocabulary (the
 *   protocol's token-keyed form; told by a `tokens` field holding a map, since "tokens" is a
 *   BERT token too and a bare map may have it as a key with a weight);
 * - a bare map `{key: weight}`: keys are tokens or term ids, as `bareKeys` says.
 *
 * Throws an Error (a SparseDbError for a bad vector) saying what is wrong.
 */
export function parseJsonVector(
  vector: unknown,
  o: { vocabulary: Vocabulary | undefined; bareKeys: "tokens" | "ids"; noVocabulary: string; role: "document" | "query" },
): SparseVector {
  if (vector === null || typeof vector !== "object" || Array.isArray(vector)) {
    throw new Error(`"vector" must be {"terms": [...], "weights": [...]}, {"tokens": {token: weight}} or a map, got ${Array.isArray(vector) ? "an array" : JSON.stringify(vector)}`);
  }
  const v = vector as Record<string, unknown>;
  const vocabSize = o.vocabulary?.size ?? 0xffffffff;
  if ("terms" in v || "weights" in v) {
    if (!Array.isArray(v.terms) || !Array.isArray(v.weights)) throw new Error(`"vector.terms" and "vector.weights" must both be arrays`);
    return SparseVector.fromArrays(v.terms as number[], v.weights as number[], { vocabSize });
  }
  if ("tokens" in v && typeof v.tokens !== "number" && !isMap(v.tokens)) {
    throw new Error(`"vector.tokens" must be a map {token: weight}, got ${Array.isArray(v.tokens) ? "an array" : JSON.stringify(v.tokens)}`);
  }
  const wrapped = isMap(v.tokens);
  if (wrapped && Object.keys(v).length > 1) throw new Error(`"vector" {"tokens": {...}} takes no other field (got ${Object.keys(v).filter((k) => k !== "tokens").map((k) => JSON.stringify(k)).join(", ")})`);
  if (!wrapped && o.bareKeys === "ids") return SparseVector.fromTermMap(v as Record<string, number>, { vocabSize });
  if (o.vocabulary === undefined) throw new Error(o.noVocabulary);
  // The library's rule for token-keyed vectors: its weight checks and its unknown-token message.
  return checkVector({ tokens: wrapped ? v.tokens : v }, o.role, "vector", { vocabulary: o.vocabulary, vocabSize: o.vocabulary.size });
}

function isMap(x: unknown): boolean {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}
