import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { InferenceFreeEncoder } from "../../encoder/inference-free-encoder.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { BUILTIN_TOKENIZER_NAME } from "../../encoder/builtin-tokenizer.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { bertTokenizerPath, inferenceFreeIdfPath } from "../../encoder/data-paths.js";
import { Bm25Analyzer } from "../../encoder/bm25-analyzer.js";
import { ENGLISH_STOPWORDS } from "../../encoder/stopwords.js";
import type { Bm25Config, CorpusStatisticsView } from "../../encoder/encoder.js";
import { Vocabulary } from "../../engine/vocabulary.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BERT = bertTokenizerPath();
const IDF = inferenceFreeIdfPath();

describe("WordPiece tokenizer", () => {
  it.skipIf(!BERT)("gives bert-base-uncased's ids for the orangutan sentence (needs shared data)", () => {
    const tok = WordPieceTokenizer.load(BERT!);
    expect(tok.encode("Orangutans are native to the rainforests of Indonesia and Malaysia")).toEqual([
      101, 2030, 5654, 13210, 3619, 2024, 3128, 2000, 1996, 18951, 2015, 1997, 6239, 1998, 6027, 102,
    ]);
    expect(tok.vocabulary.size).toBe(30522);
  });

  it("the built-in tokenizer covers any ASCII word without [UNK] and keeps [SEP] when truncating", () => {
    const tok = WordPieceTokenizer.builtin();
    const unk = tok.vocabulary.idOf("[UNK]")!;
    const ids = tok.encode("Orangutans are native to the rainforests of Zqxwv 42!");
    expect(ids).not.toContain(unk);
    expect(tok.vocabulary.tokenOf(ids[0]!)).toBe("[CLS]");
    expect(tok.vocabulary.tokenOf(ids.at(-1)!)).toBe("[SEP]");
    const cut = tok.encode(SAMPLE_TEXTS.join(" "), 10);
    expect(cut).toHaveLength(10);
    expect(tok.vocabulary.tokenOf(cut[9]!)).toBe("[SEP]");
    expect(tok.contentIds("")).toEqual([]);
  });

  it("names a missing or malformed tokenizer file", () => {
    expect(() => WordPieceTokenizer.load("/nonexistent/tokenizer.json")).toThrow(/cannot be read.*tokenizer\.json/);
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-tok-"));
    writeFileSync(join(dir, "t.json"), JSON.stringify({ model: { type: "BPE" } }));
    expect(() => WordPieceTokenizer.load(join(dir, "t.json"))).toThrow(/no WordPiece model/);
  });
});

describe("BM25 encoder", () => {
  /** Textbook BM25 over word-piece bags, the reference for the sparse dot product. */
  function referenceBm25(docs: number[][], query: number[], k1: number, b: number): number[] {
    const n = docs.length;
    const avg = docs.reduce((s, d) => s + d.length, 0) / n;
    const qterms = new Map<number, number>();
    for (const t of query) qterms.set(t, (qterms.get(t) ?? 0) + 1);
    return docs.map((d) => {
      let s = 0;
      for (const [t, qn] of qterms) {
        const tf = d.filter((x) => x === t).length;
        if (tf === 0) continue;
        const df = docs.filter((x) => x.includes(t)).length;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        s += qn * idf * (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * d.length) / avg));
      }
      return s;
    });
  }

  it("document . query equals textbook BM25, with and without English stopwords (property)", async () => {
    // The default encoder's own tokenizer file, loaded separately for the reference.
    const tok = WordPieceTokenizer.load(new Bm25Encoder({ kind: "bm25" }).config.tokenizerPath);
    const words = ["river", "sea", "bread", "yeast", "the", "of", "bees", "honey", "light", "a", "is", "."];
    const text = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 12 }).map((w) => w.join(" "));
    await fc.assert(
      fc.asyncProperty(
        fc.array(text, { minLength: 1, maxLength: 8 }),
        text,
        fc.double({ min: 0.1, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom("none" as const, "english" as const),
        async (docs, query, k1, b, stopwords) => {
          const enc = new Bm25Encoder({ kind: "bm25", k1, b, stopwords });
          enc.observe(docs);
          const dv = await enc.encodeDocuments(docs);
          const qv = await enc.encodeQuery(query);
          // The reference analyzes by whole words: punctuation and (maybe) stopwords removed first.
          const stop = new Set(stopwords === "english" ? ENGLISH_STOPWORDS : []);
          const analyzed = (t: string) => tok.contentIds(t.split(" ").filter((w) => w !== "." && !stop.has(w)).join(" "));
          const expected = referenceBm25(docs.map(analyzed), analyzed(query), k1, b);
          dv.forEach((v, i) => expect(v.dot(qv)).toBeCloseTo(expected[i]!, 4));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("reads attached statistics for IDF and average length; one owner at a time", async () => {
    const enc = new Bm25Encoder({ kind: "bm25" });
    expect(enc.description).toMatch(/BM25 \(no SPLADE model configured\)/);
    expect(enc.config).toMatchObject({ kind: "bm25", tokenizerPath: BUILTIN_TOKENIZER_NAME, k1: 0.9, b: 0.4, maxTokens: 512, dropPunctuation: true, stopwords: "none" });
    const honey = enc.analyze("honey")[0]!;
    const rare: CorpusStatisticsView = { numDocs: 100, totalLength: 1000, docFreq: (t) => (t === honey ? 1 : 50) };
    const common: CorpusStatisticsView = { numDocs: 100, totalLength: 1000, docFreq: (t) => (t === honey ? 90 : 50) };
    const detach = enc.corpus.attach(rare);
    expect(() => enc.corpus.attach(common)).toThrow(/already serves an open collection/);
    const idfRare = (await enc.encodeQuery("honey")).weights[0]!;
    expect(idfRare).toBeCloseTo(Math.log(1 + 99.5 / 1.5), 5);
    // avgdl 10: a document of length 10 has norm 1, so tf 1 weighs exactly 1.
    const { vectors, lengths } = await enc.corpus.encodeDocumentsWithLengths(["honey bees river sea bread yeast light honey honey sea"]);
    expect(lengths).toEqual([enc.analyze("honey bees river sea bread yeast light honey honey sea").length]);
    const len = lengths[0]!;
    const w = vectors[0]!.weights[vectors[0]!.terms.indexOf(enc.analyze("bees")[0]!)]!;
    expect(w).toBeCloseTo(1.9 / (1 + 0.9 * (0.6 + (0.4 * len) / 10)), 5);
    detach();
    const again = enc.corpus.attach(common);
    expect((await enc.encodeQuery("honey")).weights[0]!).toBeCloseTo(Math.log(1 + 10.5 / 90.5), 5);
    again();
    // Back on its own (empty) statistics: every term has IDF ln 2.
    expect((await enc.encodeQuery("honey")).weights[0]!).toBeCloseTo(Math.log(2), 6);
    const [empty] = await enc.encodeDocuments([""]);
    expect(empty!.nnz).toBe(0);
    expect(enc.decode(await enc.encodeQuery("honey honey bees"))[0]!.token).toBe("honey");
  });

  it("drops punctuation pieces and whole-word stopwords only", () => {
    const vocab = new Vocabulary(["[PAD]", "the", "##ory", ".", "##.", "cat", "(", "is", "##£", "it"]);
    const ids = (...t: string[]) => t.map((x) => vocab.idOf(x)!);
    const both = new Bm25Analyzer(vocab, { dropPunctuation: true, stopwords: "english" });
    expect(both.filter(ids("the", "##ory", "the", "cat", ".", "is", "(", "it", "##.", "cat", "##£", "the"))).toEqual(ids("the", "##ory", "cat", "cat"));
    const keep = new Bm25Analyzer(vocab, { dropPunctuation: false, stopwords: "none" });
    expect(keep.filter(ids("the", ".", "is"))).toEqual(ids("the", ".", "is"));
    expect(ENGLISH_STOPWORDS).toHaveLength(33);
  });

  it("validates k1, b, maxTokens and the analyzer options with messages that say the range", () => {
    const make = (c: Record<string, unknown>) => () => new Bm25Encoder({ kind: "bm25", ...c } as Bm25Config);
    expect(make({ k1: -1 })).toThrow(/k1 is -1; it must be a finite number >= 0/);
    expect(make({ k1: "1" })).toThrow(/k1 is "1"/);
    expect(make({ b: 1.5 })).toThrow(/b is 1.5; it must be a number in 0..1/);
    expect(make({ maxTokens: 2 })).toThrow(/maxTokens is 2; it must be an integer in 3\.\./);
    expect(make({ stopwords: "french" })).toThrow(/stopwords is "french"; use "none" or "english"/);
    expect(make({ dropPunctuation: "yes" })).toThrow(/dropPunctuation is "yes"/);
    // A config persisted by an older version (with observe) still opens.
    expect(make({ observe: true })().config).not.toHaveProperty("observe");
  });

  it("rejects non-string text and applies topN / minWeight", async () => {
    const enc = new Bm25Encoder({ kind: "bm25", topN: 3 });
    await expect(enc.encodeDocuments(["ok", 5 as unknown as string])).rejects.toThrow(/text 1 is number 5, not a string/);
    await expect(enc.encodeQuery(null as unknown as string)).rejects.toThrow(/not a string/);
    const [v] = await enc.encodeDocuments([SAMPLE_TEXTS[1]!]);
    expect(v!.nnz).toBe(3);
    expect(() => new Bm25Encoder({ kind: "bm25", topN: 0 })).toThrow(/topN/);
    const ac = new AbortController();
    ac.abort();
    await expect(enc.encodeQuery("x", { signal: ac.signal })).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it.skipIf(!BERT)("works in BERT's term space with the real tokenizer (needs shared data)", async () => {
    const enc = new Bm25Encoder({ kind: "bm25", tokenizerPath: BERT! });
    const [v] = await enc.encodeDocuments(["Orangutans are native to the rainforests"]);
    expect(enc.decode(v!).map((x) => x.token).sort()).toEqual(["##ang", "##ns", "##s", "##uta", "are", "native", "or", "rainforest", "the", "to"].sort());
  });
});

describe("inference-free encoder", () => {
  it("weighs each distinct query token by its IDF and documents by saturated tf", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-idf-"));
    writeFileSync(join(dir, "idf.json"), JSON.stringify({ honey: 3.5, bees: 2, the: 0.1 }));
    const enc = new InferenceFreeEncoder({ kind: "inference-free", idfPath: join(dir, "idf.json") });
    const q = enc.decode(await enc.encodeQuery("The honey bees the honey"));
    expect(q).toEqual([{ token: "honey", weight: 3.5 }, { token: "bees", weight: 2 }, { token: "the", weight: Math.fround(0.1) }]);
    const [d] = await enc.encodeDocuments(["honey honey bees"]);
    expect(enc.decode(d!)).toEqual([{ token: "honey", weight: Math.fround((2 * 2.2) / 3.2) }, { token: "bees", weight: 1 }]);
    expect((await enc.encodeQuery("")).nnz).toBe(0);
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ xyzzy: 1 }));
    expect(() => new InferenceFreeEncoder({ kind: "inference-free", idfPath: join(dir, "bad.json") })).toThrow(/shares no token/);
    expect(() => new InferenceFreeEncoder({ kind: "inference-free", idfPath: join(dir, "none.json") })).toThrow(/cannot be read/);
  });

  it.skipIf(!BERT || !IDF)("uses the OpenSearch IDF table with the real tokenizer (needs shared data)", async () => {
    const enc = new InferenceFreeEncoder({ kind: "inference-free", idfPath: IDF!, tokenizerPath: BERT! });
    const q = enc.decode(await enc.encodeQuery("what is the capital of malaysia"));
    expect(q.map((x) => x.token)).toContain("malaysia");
    expect(q[0]!.token).toBe("malaysia");
  });
});
