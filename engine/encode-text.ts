import type { Encoder } from "../encoder/index.js";
import { SparseDbError } from "./errors.js";
import type { EncodeRole } from "./validate-request.js";

/** One term of an encoded text. */
export interface EncodedToken {
  token: string;
  termId: number;
  weight: number;
  /**
   * Set for encoders that expand (SPLADE): true when the term is not one of the text's own word
   * pieces, i.e. the model added it.
   */
  expansion?: boolean;
}

/** What `collection.encode(text)` returns: the text's sparse vector as tokens, heaviest first. */
export interface EncodedText {
  role: EncodeRole;
  /** Non-zero terms. */
  nnz: number;
  /** Sorted by weight, descending (ties by term id). */
  tokens: EncodedToken[];
  /** Set for encoders that expand: how many of the tokens are expansion terms. */
  expansionTerms?: number;
}

/**
 * Runs the collection's encoder on one text, in the role it would have in an upsert ("document")
 * or a search ("query"), and names every term by its WordPiece token: the way the SPLADE article
 * shows a vector ({'pc': 3.02, 'lace': 2.95, ...}). The weights are the encoder's own, before a
 * cosine collection scales the vector to unit length (which keeps the order). For an encoder
 * that expands (Encoder.textTermIds), each token says whether it is in the text itself.
 */
export async function encodeText(encoder: Encoder | undefined, text: string, role: EncodeRole): Promise<EncodedText> {
  if (encoder === undefined) throw new SparseDbError("INVALID_ARGUMENT", "encode: this collection has no encoder to turn text into vectors");
  const vector = role === "document" ? (await encoder.encodeDocuments([text]))[0]! : await encoder.encodeQuery(text);
  const own = encoder.textTermIds === undefined ? undefined : new Set(encoder.textTermIds(text));
  const tokens: EncodedToken[] = [];
  for (let i = 0; i < vector.nnz; i++) {
    const termId = vector.terms[i]!;
    const t: EncodedToken = { token: encoder.vocabulary.tokenOf(termId), termId, weight: vector.weights[i]! };
    if (own !== undefined) t.expansion = !own.has(termId);
    tokens.push(t);
  }
  tokens.sort((a, b) => b.weight - a.weight || a.termId - b.termId);
  const out: EncodedText = { role, nnz: vector.nnz, tokens };
  if (own !== undefined) out.expansionTerms = tokens.filter((t) => t.expansion).length;
  return out;
}
