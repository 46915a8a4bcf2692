import { SparseDbError } from "./errors.js";

/** Maps tokens (WordPiece strings) to term ids and back. BERT's has 30522 terms. */
export class Vocabulary {
  private readonly ids: Map<string, number>;
  readonly tokens: readonly string[];

  constructor(tokens: readonly string[]) {
    this.tokens = tokens;
    this.ids = new Map();
    tokens.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
    });
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The term id of a token, or undefined when the vocabulary lacks it. */
  idOf(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** The token of a term id; throws when the id is out of range. */
  tokenOf(termId: number): string {
    const t = this.tokens[termId];
    if (t === undefined) {
      throw new SparseDbError(
        "INVALID_ARGUMENT",
        `term id ${termId} is outside the vocabulary (0..${this.tokens.length - 1})`,
      );
    }
    return t;
  }

  /**
   * Reads a Hugging Face `tokenizer.json` (WordPiece `model.vocab`: token -> id) or a plain
   * JSON object token -> id.
   */
  static fromTokenizerJson(json: unknown): Vocabulary {
    const obj = json as { model?: { vocab?: Record<string, number> } } & Record<string, unknown>;
    const vocab = (obj?.model?.vocab ?? obj) as Record<string, unknown>;
    if (vocab === null || typeof vocab !== "object") {
      throw new SparseDbError("INVALID_ARGUMENT", "tokenizer JSON has no model.vocab object");
    }
    const tokens: string[] = [];
    for (const [tok, id] of Object.entries(vocab)) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
        throw new SparseDbError("INVALID_ARGUMENT", `tokenizer vocab entry "${tok}" has a bad id ${String(id)}`);
      }
      tokens[id] = tok;
    }
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] === undefined) {
        throw new SparseDbError("INVALID_ARGUMENT", `tokenizer vocab has no token for id ${i}`);
      }
    }
    return new Vocabulary(tokens);
  }
}

/** BERT's vocabulary size: every SPLADE model in the bert-base-uncased family uses it. */
export const BERT_VOCAB_SIZE = 30522;
