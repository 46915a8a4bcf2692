import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { InferenceFreeEncoder } from "../../encoder/inference-free-encoder.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { BUILTIN_TOKENIZER_NAME } from "../../encoder/builtin-tokenizer.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { bertTokenizerPath, inferenceFreeIdfPath } from "../../encoder/data-paths.js";
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

  it("document . query equals textbook BM25 (property)", async () => {
    const tok = WordPieceTokenizer.builtin();
    const words = ["river", "sea", "bread", "yeast", "the", "of", "bees", "honey", "light", "a"];
    const text = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 12 }).map((w) => w.join(" "));
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 8 }), text, fc.double({ min: 0.1, max: 2, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), async (docs, query, k1, b) => {
        const enc = new Bm25Encoder({ kind: "bm25", k1, b });
        enc.corpusStatistics.observe(docs);
        const vectors = await enc.encodeDocuments(docs.map((d) => d), {}).catch((e) => { throw e; });
        // encodeDocuments observed the docs a second time: undo to compare with one observation.
        enc.corpusStatistics.forget(docs);
        const fresh = new Bm25Encoder({ kind: "bm25", k1, b, observe: false }, enc.corpusStatistics.toJSON());
        const dv = await fresh.encodeDocuments(docs);
        const qv = await fresh.encodeQuery(query);
        const expected = referenceBm25(docs.map((d) => tok.contentIds(d)), tok.contentIds(query), k1, b);
        dv.forEach((v, i) => expect(v.dot(qv)).toBeCloseTo(expected[i]!, 4));
        expect(vectors).toHaveLength(docs.length);
      }),
      { numRuns: 40 },
    );
  });

  it("says it is the no-model default, persists its statistics, and handles empty text", async () => {
    const enc = new Bm25Encoder({ kind: "bm25" });
    expect(enc.description).toMatch(/BM25 \(no SPLADE model configured\)/);
    expect(enc.config).toMatchObject({ kind: "bm25", tokenizerPath: BUILTIN_TOKENIZER_NAME, k1: 0.9, b: 0.4, maxTokens: 512 });
    const [empty, v] = await enc.encodeDocuments(["", SAMPLE_TEXTS[0]!]);
    expect(empty!.nnz).toBe(0);
    expect(enc.corpusStatistics.numDocs).toBe(2);
    const json = JSON.parse(JSON.stringify(enc.corpusStatistics.toJSON()));
    const again = new Bm25Encoder({ kind: "bm25", observe: false }, json);
    expect(again.corpusStatistics.toJSON()).toEqual(enc.corpusStatistics.toJSON());
    expect((await again.encodeQuery("orangutans")).dot(v!)).toBeGreaterThan(0);
    expect(enc.decode(await enc.encodeQuery("honey honey bees"))[0]!.token).toBe("honey");
    expect(() => new Bm25Encoder({ kind: "bm25" }, { numDocs: 1, totalLength: 1, df: { "99999999": 1 } })).toThrow(/outside the vocabulary/);
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
