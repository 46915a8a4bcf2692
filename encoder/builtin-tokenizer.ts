import { SAMPLE_TEXTS } from "./sample-texts.js";

/**
 * A small WordPiece tokenizer.json that the project builds from its own sample texts, for when
 * the real bert-base-uncased tokenizer (../shared/data/tokenizer/) is absent: a fresh clone, CI
 * without data. Same normalizer, pre-tokenizer and [CLS] ... [SEP] template as BERT's, but its
 * own term ids: vectors made with it live in a different term space than BERT's 30522 terms, so a
 * collection must keep using the tokenizer it was created with (the encoder config records it).
 *
 * Vocabulary, in id order: [PAD] [UNK] [CLS] [SEP] [MASK]; every ASCII letter, digit and
 * punctuation mark, bare and as a "##" continuation (so any ASCII word tokenizes without [UNK]);
 * a few common suffixes; then the whole words of the sample texts, most frequent first.
 */
export const BUILTIN_TOKENIZER_NAME = "builtin:sample-wordpiece";

const SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;
const SUFFIXES = ["##s", "##es", "##ed", "##ing", "##ly", "##er", "##ers", "##est", "##tion", "##ment", "##ness", "##al"];

let cached: object | null = null;

/**
 * The built-in tokenizer.json as a parsed object (built once per process). With padToSize, the
 * vocabulary is filled up with "[unusedN]" tokens to that size: benchmarks use it to give a
 * generated model BERT's 30522-term MLM head when the real tokenizer is absent.
 */
export function builtinTokenizerJson(padToSize?: number): object {
  if (padToSize !== undefined) {
    const tokens = builtinVocabularyTokens();
    for (let i = 0; tokens.length < padToSize; i++) tokens.push(`[unused${i}]`);
    return buildTokenizerJson(tokens);
  }
  if (cached === null) cached = buildTokenizerJson(builtinVocabularyTokens());
  return cached;
}

export function builtinVocabularyTokens(): string[] {
  const tokens: string[] = [...SPECIALS];
  const seen = new Set<string>(tokens);
  const add = (t: string): void => {
    if (!seen.has(t)) {
      seen.add(t);
      tokens.push(t);
    }
  };
  const chars: string[] = [];
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c);
    if (ch >= "A" && ch <= "Z") continue; // the normalizer lowercases
    chars.push(ch);
  }
  for (const ch of chars) add(ch);
  for (const ch of chars) if (/[a-z0-9]/.test(ch)) add("##" + ch);
  for (const s of SUFFIXES) add(s);
  const counts = new Map<string, number>();
  for (const text of SAMPLE_TEXTS) {
    for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [w] of words) add(w);
  return tokens;
}

function buildTokenizerJson(tokens: string[]): object {
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const special = (content: string) => ({
    id: vocab[content]!,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]!], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]!], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  };
}
