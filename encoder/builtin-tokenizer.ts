import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "./data-paths.js";

/**
 * The default tokenizer, shipped inside the package: bert-base-uncased's WordPiece vocabulary
 * (30522 terms, the term space of every SPLADE model of this family), so that the default encoder
 * gives real BERT term ids wherever the package is installed. It lives in
 * encoder/vocab/bert-base-uncased/ as vocab.txt (one token a line, line i = term id i) and
 * tokenizer-config.json (the tokenizer.json without its vocabulary: normalizer, pre-tokenizer,
 * [CLS] ... [SEP] template, special tokens). Both are written from the real tokenizer.json by
 * scripts/generate-bert-vocab.ts; the license is beside them (Apache-2.0, see NOTICE.md there).
 */
export const BUILTIN_TOKENIZER_NAME = "builtin:bert-base-uncased";

/** Names a removed earlier built-in (a 587-term sample vocabulary) that old configs may record. */
export const REMOVED_BUILTIN_TOKENIZER_NAMES: readonly string[] = ["builtin:sample-wordpiece"];

/** The folder of the shipped vocabulary, under the package root. */
export function builtinVocabularyDir(): string {
  return join(repositoryRoot(), "encoder", "vocab", "bert-base-uncased");
}

let cached: Record<string, unknown> | null = null;

/**
 * The shipped tokenizer as a parsed tokenizer.json (read once per process). With padToSize, the
 * vocabulary is filled up with "[sparsedb-pad-N]" tokens to that size: a test uses it to build a
 * model whose output does not match its tokenizer.
 */
export function builtinTokenizerJson(padToSize?: number): Record<string, unknown> {
  if (cached === null) {
    const dir = builtinVocabularyDir();
    const vocabText = readFileSync(join(dir, "vocab.txt"), "utf8");
    const config = JSON.parse(readFileSync(join(dir, "tokenizer-config.json"), "utf8")) as Record<string, unknown>;
    cached = assembleTokenizerJson(vocabText, config);
  }
  if (padToSize === undefined) return cached;
  const tokens = vocabularyTokens(cached);
  for (let i = 0; tokens.length < padToSize; i++) tokens.push(`[sparsedb-pad-${i}]`);
  const model = cached.model as Record<string, unknown>;
  return { ...cached, model: { ...model, vocab: vocabObject(tokens) } };
}

/** vocab.txt (one token a line, in id order) + the config without vocabulary -> a tokenizer.json. */
export function assembleTokenizerJson(vocabText: string, config: Record<string, unknown>): Record<string, unknown> {
  const lines = vocabText.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const model = config.model as Record<string, unknown> | undefined;
  if (model === undefined || model.type !== "WordPiece") throw new Error("tokenizer-config.json has no WordPiece model");
  return { ...config, model: { ...model, vocab: vocabObject(lines) } };
}

/** The inverse of assembleTokenizerJson: what scripts/generate-bert-vocab.ts writes. */
export function splitTokenizerJson(json: Record<string, unknown>): { vocabText: string; config: Record<string, unknown> } {
  const model = json.model as Record<string, unknown>;
  const tokens = vocabularyTokens(json);
  for (const t of tokens) if (t.includes("\n") || t.includes("\r")) throw new Error(`token ${JSON.stringify(t)} cannot be written one a line`);
  const { vocab: _vocab, ...rest } = model;
  return { vocabText: tokens.join("\n") + "\n", config: { ...json, model: rest } };
}

/** The vocabulary's tokens in id order; ids must be exactly 0..size-1. */
function vocabularyTokens(json: Record<string, unknown>): string[] {
  const vocab = (json.model as { vocab: Record<string, number> }).vocab;
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(vocab)) tokens[id] = token;
  if (tokens.length !== Object.keys(vocab).length || tokens.includes(undefined as unknown as string)) {
    throw new Error("the vocabulary's ids are not exactly 0..size-1");
  }
  return tokens;
}

function vocabObject(tokens: readonly string[]): Record<string, number> {
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  return vocab;
}
