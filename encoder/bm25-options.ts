import { SparseDbError } from "../engine/errors.js";
import type { Bm25Config } from "./encoder.js";
import { DEFAULT_MAX_TOKENS } from "./tokenizer.js";
import { STOPWORD_LISTS, type StopwordListName } from "./stopwords.js";

/** Anserini's BM25 defaults (tuned on MS MARCO passages). */
export const DEFAULT_BM25_K1 = 0.9;
export const DEFAULT_BM25_B = 0.4;
/** A sanity cap on BM25's maxTokens (it has no position table; SPLADE models keep BERT's 512). */
export const MAX_TOKENS_LIMIT = 1 << 20;

export interface Bm25Options {
  k1: number;
  b: number;
  maxTokens: number;
  dropPunctuation: boolean;
  stopwords: StopwordListName;
}

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", `BM25 ${message}`);
}

/** Every key a BM25 config may have; `observe` is a key of older configs, accepted and ignored. */
const BM25_KEYS = ["kind", "tokenizerPath", "k1", "b", "maxTokens", "topN", "minWeight", "dropPunctuation", "stopwords", "observe"];

/** Checks the BM25 part of a config and fills in defaults; every error names the key and the range. */
export function checkBm25Options(config: Bm25Config): Bm25Options {
  for (const key of Object.keys(config)) {
    if (!BM25_KEYS.includes(key)) throw bad(`config has an unknown key "${key}"; known keys: ${BM25_KEYS.filter((k) => k !== "observe").join(", ")}`);
  }
  const { k1 = DEFAULT_BM25_K1, b = DEFAULT_BM25_B, maxTokens = DEFAULT_MAX_TOKENS, dropPunctuation = true, stopwords = "none" } = config;
  if (typeof k1 !== "number" || !Number.isFinite(k1) || k1 < 0) {
    throw bad(`k1 is ${JSON.stringify(k1)}; it must be a finite number >= 0 (${DEFAULT_BM25_K1} by default; 0 ignores term frequency)`);
  }
  if (typeof b !== "number" || !(b >= 0 && b <= 1)) {
    throw bad(`b is ${JSON.stringify(b)}; it must be a number in 0..1 (${DEFAULT_BM25_B} by default; 0 ignores document length)`);
  }
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 3 || maxTokens > MAX_TOKENS_LIMIT) {
    throw bad(`maxTokens is ${JSON.stringify(maxTokens)}; it must be an integer in 3..${MAX_TOKENS_LIMIT} ([CLS] and [SEP] included; ${DEFAULT_MAX_TOKENS} by default)`);
  }
  if (typeof dropPunctuation !== "boolean") throw bad(`dropPunctuation is ${JSON.stringify(dropPunctuation)}; it must be true (default) or false`);
  if (typeof stopwords !== "string" || !Object.prototype.hasOwnProperty.call(STOPWORD_LISTS, stopwords)) {
    throw bad(`stopwords is ${JSON.stringify(stopwords)}; use ${Object.keys(STOPWORD_LISTS).map((k) => JSON.stringify(k)).join(" or ")}`);
  }
  return { k1, b, maxTokens, dropPunctuation, stopwords };
}
