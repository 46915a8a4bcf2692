import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { SparseDbError } from "../engine/errors.js";
import { Vocabulary } from "../engine/vocabulary.js";
import { BUILTIN_TOKENIZER_NAME, builtinTokenizerJson, REMOVED_BUILTIN_TOKENIZER_NAMES } from "./builtin-tokenizer.js";

/** Truncation default: BERT's position table has 512 entries. */
export const DEFAULT_MAX_TOKENS = 512;

/**
 * A WordPiece tokenizer loaded from a Hugging Face tokenizer.json (through @huggingface/tokenizers,
 * not hand-written WordPiece). `encode` gives term ids with the [CLS] ... [SEP] template,
 * truncated to maxTokens while keeping the closing [SEP].
 */
export class WordPieceTokenizer {
  readonly vocabulary: Vocabulary;
  /** Ids of the special tokens ([PAD], [CLS], [SEP], ...): lexical encoders skip them. */
  readonly specialIds: ReadonlySet<number>;
  readonly padId: number;
  /** Where it came from: a file path or BUILTIN_TOKENIZER_NAME (BERT's vocabulary, shipped). */
  readonly source: string;
  private readonly tokenizer: Tokenizer;

  private constructor(json: Record<string, unknown>, source: string) {
    this.source = source;
    try {
      this.vocabulary = Vocabulary.fromTokenizerJson(json);
      this.tokenizer = new Tokenizer(json, {});
    } catch (err) {
      throw new SparseDbError(
        "ENCODER_ERROR",
        `cannot load tokenizer ${source}: ${(err as Error).message}; pass a Hugging Face tokenizer.json with a WordPiece model`,
        { cause: err },
      );
    }
    const added = (json.added_tokens as { id: number; special?: boolean; content: string }[] | undefined) ?? [];
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    this.padId = this.vocabulary.idOf("[PAD]") ?? 0;
  }

  /** Loads a tokenizer.json file, or the built-in one for BUILTIN_TOKENIZER_NAME / undefined. */
  static load(path: string | undefined): WordPieceTokenizer {
    if (path === undefined || path === BUILTIN_TOKENIZER_NAME) return WordPieceTokenizer.builtin();
    if (REMOVED_BUILTIN_TOKENIZER_NAMES.includes(path)) {
      throw new SparseDbError(
        "ENCODER_ERROR",
        `tokenizer ${path} (a 587-term sample vocabulary of early sparsedb versions) no longer exists; vectors made with it are not in BERT's term space: re-create the collection (the default is now ${BUILTIN_TOKENIZER_NAME})`,
      );
    }
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new SparseDbError("ENCODER_FILE_NOT_FOUND", `tokenizer file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass the path of a tokenizer.json`, { cause: err });
    }
    return WordPieceTokenizer.fromJsonText(text, path);
  }

  static fromJsonText(text: string, source: string): WordPieceTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SparseDbError("ENCODER_ERROR", `tokenizer ${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (json === null || typeof json !== "object" || (json as { model?: { type?: string } }).model?.type !== "WordPiece") {
      throw new SparseDbError("ENCODER_ERROR", `tokenizer ${source} has no WordPiece model (model.type); sparsedb needs a BERT-style WordPiece tokenizer.json`);
    }
    return new WordPieceTokenizer(json as Record<string, unknown>, source);
  }

  /** The default tokenizer shipped in the package: bert-base-uncased (see builtin-tokenizer.ts). */
  static builtin(): WordPieceTokenizer {
    let json: Record<string, unknown>;
    try {
      json = builtinTokenizerJson();
    } catch (err) {
      throw new SparseDbError("ENCODER_ERROR", `the built-in tokenizer (encoder/vocab/bert-base-uncased/ in the sparsedb package) cannot be read: ${(err as Error).message}; reinstall sparsedb`, { cause: err });
    }
    return new WordPieceTokenizer(json, BUILTIN_TOKENIZER_NAME);
  }

  /** Term ids of `text` with [CLS]/[SEP], at most maxTokens of them (the last one stays [SEP]). */
  encode(text: string, maxTokens: number = DEFAULT_MAX_TOKENS): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= maxTokens) return ids;
    const last = ids[ids.length - 1]!;
    const out = ids.slice(0, maxTokens);
    out[maxTokens - 1] = last;
    return out;
  }

  /** The term ids of the text's own word pieces: encode() without the special tokens. */
  contentIds(text: string, maxTokens: number = DEFAULT_MAX_TOKENS): number[] {
    return this.encode(text, maxTokens).filter((id) => !this.specialIds.has(id));
  }
}

/** Throws a clear error unless `texts` is an array of strings. */
export function checkTexts(texts: unknown): asserts texts is string[] {
  if (!Array.isArray(texts)) {
    throw new SparseDbError("INVALID_ARGUMENT", `texts must be an array of strings, got ${describe(texts)}`);
  }
  for (let i = 0; i < texts.length; i++) {
    if (typeof texts[i] !== "string") {
      throw new SparseDbError("INVALID_ARGUMENT", `text ${i} is ${describe(texts[i])}, not a string; pass the text to encode as a string`);
    }
  }
}

export function checkText(text: unknown): asserts text is string {
  if (typeof text !== "string") {
    throw new SparseDbError("INVALID_ARGUMENT", `query text is ${describe(text)}, not a string; pass the query as a string`);
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v).slice(0, 40)}`;
}
