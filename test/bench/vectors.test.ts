import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { SparseDbError } from "../../engine/errors.js";
import { Vocabulary } from "../../engine/vocabulary.js";
import { MalformedLineError } from "../../engine/input/line-reader.js";
import { readVectorFile, readVectors } from "../../bench/readers/vectors.js";
import { hasSharedData, loadBertVocabulary, sharedDataPath } from "../../bench/readers/shared-data.js";

const dir = mkdtempSync(join(tmpdir(), "sparsedb-vectors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKENS = ["[PAD]", "brother", "son", "##n", "family", "paula", "deen", "s", "so", "sons", "##s"];
const vocab = new Vocabulary(TOKENS);
let fileCounter = 0;

function write(content: string, gzip = false, name?: string): string {
  const path = join(dir, name ?? `f${fileCounter++}.data`);
  writeFileSync(path, gzip ? gzipSync(Buffer.from(content)) : content);
  return path;
}

describe("Anserini TSV vectors", () => {
  it("returns raw repeat counts as weights, and counts / scale with tsvScale", async () => {
    const path = write("q1\tbrother brother son brother\nq2\tfamily\n");
    const raw = await readVectorFile(path, vocab);
    expect(raw.map((r) => r.id)).toEqual(["q1", "q2"]);
    expect(raw[0]!.vector.toTermMap()).toEqual({ 1: 3, 2: 1 });
    expect(raw[0]!.text).toBeUndefined();
    const scaled = await readVectorFile(path, vocab, { tsvScale: 100 });
    expect(scaled[0]!.vector.weights[0]).toBeCloseTo(0.03, 7);
    expect(scaled[0]!.vector.weights[1]).toBeCloseTo(0.01, 7);
  });

  it("detects gzip by magic bytes, not by the file name", async () => {
    const text = "a\tson son ##n\nb\tdeen\n";
    const gzNamedTxt = write(text, true, "vectors.txt");
    const plainNamedGz = write(text, false, "vectors.tsv.gz");
    const a = await readVectorFile(gzNamedTxt, vocab);
    const b = await readVectorFile(plainNamedGz, vocab);
    expect(a.map((r) => [r.id, r.vector.toTermMap()])).toEqual([
      ["a", { 2: 2, 3: 1 }],
      ["b", { 6: 1 }],
    ]);
    expect(b.map((r) => [r.id, r.vector.toTermMap()])).toEqual(a.map((r) => [r.id, r.vector.toTermMap()]));
  });

  it("accepts CRLF endings, blank lines, an empty vector and honours limit", async () => {
    const path = write("a\tson\r\n\r\nb\t\r\nc\tdeen\r\n");
    const all = await readVectorFile(path, vocab);
    expect(all.map((r) => [r.id, r.vector.nnz])).toEqual([["a", 1], ["b", 0], ["c", 1]]);
    const two = await readVectorFile(path, vocab, { limit: 2 });
    expect(two.map((r) => r.id)).toEqual(["a", "b"]);
  });

  it("counts random token sequences (runs, scattered repeats, prefixes of each other), plain and gzip", async () => {
    const tokenSeq = fc.array(fc.constantFrom(...TOKENS.slice(1)), { maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(fc.array(tokenSeq, { minLength: 1, maxLength: 5 }), fc.boolean(), async (seqs, gzip) => {
        const lines = seqs.map((toks, i) => `id${i}\t${toks.join(" ")}`);
        const recs = await readVectorFile(write(lines.join("\n") + "\n", gzip), vocab);
        expect(recs.length).toBe(seqs.length);
        recs.forEach((r, i) => {
          const expected: Record<string, number> = {};
          for (const t of seqs[i]!) expected[vocab.idOf(t)!] = (expected[vocab.idOf(t)!] ?? 0) + 1;
          expect(r.vector.toTermMap()).toEqual(expected);
        });
      }),
      { numRuns: 60 },
    );
  });

  it("counts runs of tokens that are prefixes of their neighbours", async () => {
    const path = write("a\ts s s so so son sons sons s\nb\tson son so\nc\tso so sons\n");
    const recs = await readVectorFile(path, vocab);
    const byToken = (r: (typeof recs)[number]) =>
      Object.fromEntries(Object.entries(r.vector.toTermMap()).map(([t, w]) => [vocab.tokenOf(Number(t)), w]));
    expect(recs.map(byToken)).toEqual([{ s: 4, so: 2, son: 1, sons: 2 }, { son: 2, so: 1 }, { so: 2, sons: 1 }]);
  });

  it("throws a MalformedLineError naming the file and line", async () => {
    const path = write("a\tson\nno-tab-here\nc\tson\n");
    const err = await readVectorFile(path, vocab).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedLineError);
    expect(err).toBeInstanceOf(SparseDbError);
    expect((err as MalformedLineError).lineNumber).toBe(2);
    expect((err as Error).message).toContain(`${path}:2:`);
    expect((err as Error).message).toContain("no tab");

    const unknown = write("a\tson\nb\tson zebra\n", true);
    await expect(readVectorFile(unknown, vocab)).rejects.toThrow(`${unknown}:2: unknown token "zebra"`);
  });

  it("skips and counts bad lines when asked", async () => {
    const path = write("a\tson\nbad\nc\tzebra\nd\tdeen\n");
    const seen: number[] = [];
    const stream = readVectors(path, vocab, { skipBadLines: true, onBadLine: (e) => seen.push(e.lineNumber) });
    const recs = await stream.toArray();
    expect(recs.map((r) => r.id)).toEqual(["a", "d"]);
    expect(stream.skippedLines).toBe(2);
    expect(seen).toEqual([2, 3]);
  });

  it("reports a missing file and corrupt gzip clearly", async () => {
    await expect(readVectorFile(join(dir, "absent.tsv"), vocab)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const good = gzipSync(Buffer.from("a\tson\n".repeat(2000)));
    const truncated = write("");
    writeFileSync(truncated, good.subarray(0, good.length - 20));
    await expect(readVectorFile(truncated, vocab)).rejects.toMatchObject({ code: "CORRUPTION" });
  });
});

describe("Anserini JSON-lines vectors", () => {
  it("reads id (string or number), content and float weights, plain and gzip", async () => {
    const text =
      JSON.stringify({ id: 7, content: "paula deen's brother", vector: { brother: 2.443, "##n": 1.39 } }) +
      "\n" +
      JSON.stringify({ id: "d2", contents: "x", vector: { family: 0.5 } }) +
      "\n";
    for (const gzip of [false, true]) {
      const recs = await readVectorFile(write(text, gzip), vocab);
      expect(recs.map((r) => r.id)).toEqual(["7", "d2"]);
      expect(recs[0]!.text).toBe("paula deen's brother");
      expect(recs[1]!.text).toBe("x");
      expect(recs[0]!.vector.toTermMap()).toEqual({ 1: Math.fround(2.443), 3: Math.fround(1.39) });
    }
  });

  it("names the file and line of bad JSON, a missing vector, an unknown token", async () => {
    const ok = JSON.stringify({ id: 1, vector: { son: 1 } });
    const cases: [string, string][] = [
      ["{not json", "not valid JSON"],
      [JSON.stringify({ id: 2 }), 'no "vector" object'],
      [JSON.stringify({ vector: { son: 1 } }), 'no "id"'],
      [JSON.stringify({ id: 3, vector: { zebra: 1 } }), 'unknown token "zebra"'],
      [JSON.stringify({ id: 4, vector: { son: -1 } }), "negative"],
      [JSON.stringify({ id: 5, vector: { son: "1" } }), "not a number"],
    ];
    for (const [bad, message] of cases) {
      const path = write(`${ok}\n${ok}\n${bad}\n`);
      const err = await readVectorFile(path, vocab).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedLineError);
      expect((err as Error).message).toContain(`${path}:3:`);
      expect((err as Error).message).toContain(message);
    }
  });

  it("accepts negative weights for queries", async () => {
    const path = write(JSON.stringify({ id: 1, vector: { son: -0.5, deen: 1 } }) + "\n");
    const [rec] = await readVectorFile(path, vocab, { role: "query" });
    expect(rec!.vector.toTermMap()).toEqual({ 2: -0.5, 6: 1 });
  });
});

const DEV = "splade/msmarco-passage-dev-subset.splade-pp-ed.tsv.gz";
const TOY_DOCS = "toy/msmarco-20-docs.splade-pp-ed.jsonl";
const TOY_QUERIES = "toy/msmarco-5-queries.splade-pp-ed.jsonl";
const TOKENIZER = "tokenizer/bert-base-uncased.tokenizer.json";

describe.skipIf(!hasSharedData(DEV) || !hasSharedData(TOKENIZER) || !hasSharedData(TOY_QUERIES))(
  "real MS MARCO dev query vectors (shared data)",
  () => {
    it("reads the first 100 queries; 1048585 matches its JSON-lines twin at scale 1000", async () => {
      const bert = await loadBertVocabulary();
      expect(bert.size).toBe(30522);
      const queries = await readVectorFile(sharedDataPath(DEV), bert, { limit: 100, role: "query" });
      expect(queries.length).toBe(100);
      expect(new Set(queries.map((q) => q.id)).size).toBe(100);
      const avg = queries.reduce((s, q) => s + q.vector.nnz, 0) / queries.length;
      // The whole file averages 43.9 non-zeros; a 100-query prefix lands near it.
      expect(avg).toBeGreaterThan(30);
      expect(avg).toBeLessThan(60);
      const q = queries.find((r) => r.id === "1048585")!;
      expect(q.vector.toTermMap()[bert.idOf("brother")!]).toBe(2443);

      const toy = await readVectorFile(sharedDataPath(TOY_QUERIES), bert, { role: "query" });
      const twin = toy.find((r) => r.id === "1048585")!;
      expect(twin.text).toBe("what is paula deen's brother");
      const [scaled] = await readVectorFile(sharedDataPath(DEV), bert, { limit: 1, tsvScale: 1000 });
      expect(scaled!.id).toBe("1048585");
      expect(Array.from(scaled!.vector.terms)).toEqual(Array.from(twin.vector.terms));
      // Same terms; weights agree to about two quantization steps (the two files were encoded
      // separately, so they differ by up to ~1.1e-3, more than rounding alone would).
      scaled!.vector.weights.forEach((w, i) => expect(Math.abs(w - twin.vector.weights[i]!)).toBeLessThanOrEqual(0.002));
    });
  },
);

describe.skipIf(!hasSharedData(DEV) || !hasSharedData(TOKENIZER))("the whole MS MARCO dev query-vector file (1 GB unzipped)", () => {
  it("streams all 6980 queries: 43.9 non-zeros on average, every weight a whole repeat count", async () => {
    const bert = await loadBertVocabulary();
    let n = 0;
    let nnz = 0;
    let fractional = 0;
    for await (const q of readVectors(sharedDataPath(DEV), bert, { role: "query" })) {
      n++;
      nnz += q.vector.nnz;
      for (const w of q.vector.weights) if (!Number.isInteger(w) || w < 1) fractional++;
    }
    expect(n).toBe(6980);
    expect(nnz / n).toBeCloseTo(43.9, 1);
    expect(fractional).toBe(0);
  }, 60_000);
});

describe.skipIf(!hasSharedData(TOY_DOCS) || !hasSharedData(TOKENIZER))("real toy SPLADE++ documents (shared data)", () => {
  it("reads 20 documents with text and about 145 non-zeros on average (passage 18 is empty)", async () => {
    const bert = await loadBertVocabulary();
    const docs = await readVectorFile(sharedDataPath(TOY_DOCS), bert);
    expect(docs.map((d) => d.id)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(docs.every((d) => typeof d.text === "string")).toBe(true);
    expect(docs.filter((d) => d.vector.nnz === 0).map((d) => [d.id, d.text])).toEqual([["18", ""]]);
    const avg = docs.reduce((s, d) => s + d.vector.nnz, 0) / docs.length;
    expect(avg).toBeGreaterThan(130);
    expect(avg).toBeLessThan(160);
  });
});
