import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { anseriniDocuments, type LineEntry } from "../../engine/cli/anserini-documents.js";
import { AnseriniChunkParser } from "../../engine/cli/anserini-chunk-parser.js";
import { byteChunks } from "../../engine/cli/byte-chunks.js";
import { chunkIds } from "../../engine/cli/parsed-chunk.js";
import { FNV_OFFSET, FNV_PRIME, TokenTable } from "../../engine/cli/token-table.js";
import { parseDocumentLine, type LineParserOptions } from "../../engine/cli/input-formats.js";
import { readByteLines } from "../../engine/input/line-reader.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { Vocabulary } from "../../engine/vocabulary.js";

const tokens = ["[PAD]", "a", "ab", "abc", "b", "##b", "über", "x", "a", "日本", "a\r", "a\tb", "abcdefghij", "abcdefgh", "abcd"];
const vocabulary = new Vocabulary(tokens);

/** The line path's answer for a file's text: what `sparsedb ingest` read before the chunk parser. */
function lineEntries(text: string, scale: number): LineEntry[] {
  const o: LineParserOptions = { format: "anserini", vocabulary, textField: "text", vectorKeys: "tokens", anseriniScale: scale };
  const lines = text.replace(/^\ufeff/, "").split("\n"); // the line reader drops a leading byte order mark
  if (lines.at(-1) === "") lines.pop();
  const out: LineEntry[] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    try {
      out.push([i + 1, parseDocumentLine(line, o)]);
    } catch (e) {
      out.push([i + 1, { bad: (e as Error).message }]);
    }
  });
  return out;
}

/** Entries as plain data (vectors as arrays), to compare. */
const plain = (entries: LineEntry[]) =>
  entries.map(([n, e]) => ("bad" in e ? [n, e.bad] : [n, e.id, [...(e.vector as SparseVector).terms], [...(e.vector as SparseVector).weights]]));

const token = fc.constantFrom("a", "ab", "abc", "b", "##b", "über", "x", "日本", "abx", "", "abcdefghij", "abcdefghix", "abcdefgh", "abcdefgx", "abcd", "abce", "abcdefghijk", "a\tb", "a\rb", "a\r", "\u00a0");
/** A token written `repeats` times in a row, as Anserini writes a weight. */
const run = fc.tuple(token, fc.integer({ min: 1, max: 12 })).map(([t, r]) => Array<string>(r).fill(t).join(" "));
const id = fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,6}$/), fc.constantFrom(" ", "  ", "\u00a0", "\u00a0 ", "\ufeffd", "日", " x"));
const line = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(id, fc.array(fc.oneof(token, run), { maxLength: 20 }), fc.constantFrom(" ", "  ")).map(([i, t, sep]) => `${i}\t${t.join(sep)}`) },
  { weight: 1, arbitrary: fc.constantFrom("", "   ", "\t", " \t ", "\u00a0", "\u00a0\t", "\tno id", "no tab here", "d\ta a a\r", "d\t ab  ab ", "d\tab ab\r", "d\tab ab \r") },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => `long\t${Array<string>(n).fill("ab").join(" ")} x`) },
);

async function collect(g: AsyncIterable<LineEntry>): Promise<LineEntry[]> {
  const out: LineEntry[] = [];
  for await (const e of g) out.push(e);
  return out;
}

describe("Anserini chunk parser", () => {
  it("reads any file as the line parser does: documents, weights, blank and bad lines with their numbers, at any chunk size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-chunks-"));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.boolean(), fc.constantFrom(1, 10, 100), fc.integer({ min: 1, max: 64 }), async (lines, finalNewline, scale, chunkBytes) => {
          const text = lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : "");
          const parser = new AnseriniChunkParser(tokens, scale);
          // Chunks of the file's bytes, parsed one by one, line numbers carried over.
          const file = join(dir, "v.tsv");
          writeFileSync(file, text);
          const got: LineEntry[] = [];
          let base = 0;
          for await (const chunk of byteChunks(file, { chunkBytes })) {
            const c = parser.parse(chunk);
            const all: LineEntry[] = chunkIds(c).map((id, d) => [base + c.lines[d]!, { id, vector: { terms: c.terms.subarray(c.offsets[d], c.offsets[d + 1]), weights: c.weights.subarray(c.offsets[d], c.offsets[d + 1]) } as never }]);
            for (const e of c.errors) all.push([base + e.line, { bad: e.message }]);
            got.push(...all.sort((x, y) => x[0] - y[0]));
            base += c.lineCount;
          }
          expect(plain(got)).toEqual(plain(lineEntries(text, scale)));
        }),
        { numRuns: 150 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("splits plain and gzip files at newlines into the line reader's lines, a byte order mark dropped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-chunks-"));
    try {
      const text = "\ufeffd1\ta ab\r\n\nd2\tabc" + "x".repeat(300) + "\nd3\tb\nlast";
      for (const [name, bytes] of [["p.tsv", Buffer.from(text)], ["g.tsv.gz", gzipSync(text)]] as const) {
        const file = join(dir, name);
        writeFileSync(file, bytes);
        const want: string[] = [];
        for await (const l of readByteLines(file)) want.push(l.bytes.toString());
        for (const chunkBytes of [1, 7, 64, 1 << 20]) {
          const chunks: string[] = [];
          for await (const c of byteChunks(file, { chunkBytes })) chunks.push(Buffer.from(c).toString());
          for (const c of chunks.slice(0, -1)) expect(c.endsWith("\n")).toBe(true); // whole lines only
          const joined = chunks.join("");
          const lines = joined.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
          expect(lines).toEqual(want);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("anseriniDocuments numbers documents and bad lines across chunks, in file order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsedb-chunks-"));
    try {
      const lines = Array.from({ length: 3000 }, (_, i) => (i % 97 === 5 ? `bad${i}\tzzz` : i % 31 === 0 ? "" : `d${i}\t${"ab ".repeat(1 + (i % 4))}x`));
      const text = lines.join("\n") + "\n";
      const file = join(dir, "v.tsv");
      writeFileSync(file, text);
      const got = await collect(anseriniDocuments(file, { tokens, scale: 10, threads: 2 }));
      expect(plain(got)).toEqual(plain(lineEntries(text, 10)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("TokenTable", () => {
  it("finds a token only by its exact bytes, whatever the hash leads it to compare (short, 8-byte and longer tokens, near the buffer's end)", () => {
    const vocab = ["a", "ab", "abcd", "abcdefgh", "abcdefghij", "abcdefghik", "日本", "über", "x".repeat(20), "x".repeat(21)];
    const table = new TokenTable(vocab);
    const hash = (b: Uint8Array) => b.reduce((h, x) => Math.imul(h ^ x, FNV_PRIME), FNV_OFFSET);
    const probe = fc.oneof(fc.constantFrom(...vocab), fc.constantFrom("abcdefghi", "abcdefghix", "abce", "abcdefgi", "x".repeat(19) + "y", ""), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(probe, fc.constantFrom(...vocab), fc.string({ maxLength: 10 }), (s, t, after) => {
        const bytes = new TextEncoder().encode(s + after);
        const n = new TextEncoder().encode(s).length;
        const words = new DataView(bytes.buffer);
        // With t's hash the probe starts at t's slot: the answer is a token equal to s, or none.
        const got = table.lookup(bytes, words, 0, n, hash(new TextEncoder().encode(t)));
        if (s === t) expect(got).toBe(vocab.indexOf(t));
        else expect(got === -1 || vocab[got] === s).toBe(true);
        expect(table.lookup(bytes, words, 0, n, hash(bytes.subarray(0, n)))).toBe(vocab.indexOf(s));
      }),
      { numRuns: 2000 },
    );
  });
});
