import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Tokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { assembleTokenizerJson, BUILTIN_TOKENIZER_NAME, builtinTokenizerJson, splitTokenizerJson } from "../../encoder/builtin-tokenizer.js";
import { defaultEncoderConfig } from "../../encoder/create-encoder.js";
import { bertTokenizerPath } from "../../encoder/data-paths.js";
import { InferenceFreeEncoder } from "../../encoder/inference-free-encoder.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BERT = bertTokenizerPath();

describe("the built-in tokenizer (bert-base-uncased, shipped in encoder/vocab/)", () => {
  it("has BERT's 30522 terms and special ids, and gives BERT's ids for known sentences", () => {
    const tok = WordPieceTokenizer.builtin();
    expect(tok.source).toBe(BUILTIN_TOKENIZER_NAME);
    expect(tok.vocabulary.size).toBe(30522);
    const ids = Object.fromEntries(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map((t) => [t, tok.vocabulary.idOf(t)]));
    expect(ids).toEqual({ "[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103 });
    expect([...tok.specialIds].sort((a, b) => a - b)).toEqual([0, 100, 101, 102, 103]);
    expect(tok.padId).toBe(0);
    // Ids as the real tokenizer.json gives them (encoder/README.md quotes the first).
    expect(tok.encode("Orangutans are native to the rainforests of Indonesia and Malaysia")).toEqual([
      101, 2030, 5654, 13210, 3619, 2024, 3128, 2000, 1996, 18951, 2015, 1997, 6239, 1998, 6027, 102,
    ]);
    expect(tok.encode("Orangutans live in the rainforests of Borneo")).toEqual([101, 2030, 5654, 13210, 3619, 2444, 1999, 1996, 18951, 2015, 1997, 15688, 102]);
    expect(tok.vocabulary.tokenOf(2030)).toBe("or");
    expect(tok.vocabulary.tokenOf(5654)).toBe("##ang");
  });

  it("truncates keeping [SEP], and an empty text has no content ids", () => {
    const tok = WordPieceTokenizer.builtin();
    const cut = tok.encode(SAMPLE_TEXTS.join(" "), 10);
    expect(cut).toHaveLength(10);
    expect(cut[0]).toBe(101);
    expect(cut[9]).toBe(102);
    expect(tok.contentIds("  ")).toEqual([]);
  });

  it("is the one default: defaultEncoderConfig(), {kind: \"bm25\"} and {kind: \"inference-free\"} without a tokenizer", () => {
    expect(defaultEncoderConfig()).toEqual({ kind: "bm25", tokenizerPath: BUILTIN_TOKENIZER_NAME });
    expect(new Bm25Encoder({ kind: "bm25" }).config.tokenizerPath).toBe(BUILTIN_TOKENIZER_NAME);
    expect(new Bm25Encoder({ kind: "bm25" }).vocabulary.size).toBe(30522);
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-idf-"));
    writeFileSync(join(dir, "idf.json"), JSON.stringify({ orangutans: 3, borneo: 5 }));
    const inf = new InferenceFreeEncoder({ kind: "inference-free", idfPath: join(dir, "idf.json") });
    expect(inf.config.tokenizerPath).toBe(BUILTIN_TOKENIZER_NAME);
    expect(inf.vocabulary.idOf("borneo")).toBe(15688);
  });

  it("refuses the removed 587-term sample vocabulary by name, saying what to do", () => {
    expect(() => WordPieceTokenizer.load("builtin:sample-wordpiece")).toThrow(/no longer exists.*re-create the collection/);
  });

  it("split and assemble are inverse on any vocabulary (property)", () => {
    const token = fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !/[\n\r]/.test(s));
    fc.assert(
      fc.property(fc.uniqueArray(token, { minLength: 1, maxLength: 40 }), (tokens) => {
        const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
        const json = { version: "1.0", normalizer: { type: "BertNormalizer" }, model: { type: "WordPiece", unk_token: tokens[0], vocab } };
        const { vocabText, config } = splitTokenizerJson(json);
        expect((config.model as Record<string, unknown>).vocab).toBeUndefined();
        expect(assembleTokenizerJson(vocabText, config)).toEqual(json);
      }),
    );
    expect(() => splitTokenizerJson({ model: { type: "WordPiece", vocab: { a: 0, "x\ny": 1 } } })).toThrow(/one a line/);
    expect(() => splitTokenizerJson({ model: { type: "WordPiece", vocab: { a: 0, b: 2 } } })).toThrow(/not exactly 0\.\.size-1/);
  });
});

describe.skipIf(!BERT)("the built-in tokenizer equals the real bert-base-uncased tokenizer.json (needs shared data)", () => {
  const realJson = BERT ? (JSON.parse(readFileSync(BERT, "utf8")) as Record<string, unknown>) : {};

  it("is the same tokenizer.json, field for field", () => {
    expect(builtinTokenizerJson()).toEqual(realJson);
  });

  it("gives the same ids as the real file through @huggingface/tokenizers, on varied texts and on random strings", () => {
    const real = new Tokenizer(realJson, {});
    const ours = WordPieceTokenizer.builtin();
    const texts = [
      ...SAMPLE_TEXTS,
      "Orangutans live in the rainforests of Borneo",
      "",
      "   ",
      "Café naïve façade Ångström – “quotes” and ‘apostrophes’…",
      "北京是中国的首都。東京は日本の首都です。",
      "emoji 🦧🌴 and symbols ©®™ ½ ∑ ≠ ≤",
      "UPPER lower MiXeD CaSe, snake_case, kebab-case, camelCase, e-mail@example.com, https://example.com/a?b=c",
      "numbers 3.14159 1,000,000 2026-12-02 10:30pm #42 $19.99 50%",
      "a".repeat(150) + " supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
      "tabs\tand\nnewlines\r\nand\u0000control\u0007chars\u200bzero-width",
      "Ελληνικά русский язык العربية हिन्दी 한국어",
    ];
    for (const text of texts) expect(ours.encode(text, 100_000), JSON.stringify(text)).toEqual(real.encode(text).ids);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), fc.string({ maxLength: 60 }), (a, b) => {
        expect(ours.encode(a, 100_000)).toEqual(real.encode(a).ids);
        expect(ours.encode(b, 100_000)).toEqual(real.encode(b).ids);
      }),
      { numRuns: 300 },
    );
  });
});
