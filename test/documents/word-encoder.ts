import type { Encoder, EncoderConfig } from "../../encoder/index.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { Vocabulary } from "../../engine/vocabulary.js";

/** The words of the test texts; a word's term id is its index. */
export const WORDS = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"] as const;
export const WORD_VOCAB = 24;

/** A text's vector by the test encoder's rule: each known word's count as its weight. */
export function wordVector(text: string): SparseVector {
  const counts = new Map<number, number>();
  for (const w of text.split(/\s+/)) {
    const t = (WORDS as readonly string[]).indexOf(w);
    if (t >= 0) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const terms = [...counts.keys()].sort((a, b) => a - b);
  return SparseVector.fromArrays(terms, terms.map((t) => counts.get(t)!), { vocabSize: WORD_VOCAB });
}

/** A deterministic encoder for tests of stored texts: no model, no corpus statistics. */
export function wordEncoder(): Encoder {
  const tokens = Array.from({ length: WORD_VOCAB }, (_, i) => WORDS[i] ?? `unused${i}`);
  return {
    description: "test word counts",
    vocabulary: new Vocabulary(tokens),
    config: { kind: "bm25" } as EncoderConfig,
    encodeDocuments: async (texts) => texts.map(wordVector),
    encodeQuery: async (text) => wordVector(text),
    decode: () => [],
    close: async () => undefined,
  };
}
