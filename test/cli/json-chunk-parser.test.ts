import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkEntries, type LineEntry } from "../../engine/cli/chunk-documents.js";
import { parseLineEntry } from "../../engine/cli/ingest-input.js";
import type { LineParserOptions } from "../../engine/cli/input-formats.js";
import { JsonChunkParser } from "../../engine/cli/json-chunk-parser.js";
import { JsonNumberReader } from "../../engine/cli/json-number.js";
import { chunkIds } from "../../engine/cli/parsed-chunk.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { Vocabulary } from "../../engine/vocabulary.js";

const tokens = ["[PAD]", "a", "ab", "abc", "b", "##b", "über", "x", "a", "日本", "tokens", "terms", "id", "vector", "abcdefghij", "abcdefgh", "abcd", "\"", "a\"", "a/", "\n", "ab\\", "\ud83d\ude00"];
const vocabulary = new Vocabulary(tokens);
const parser: LineParserOptions = { format: "jsonl", vocabulary, textField: "text", vectorKeys: "tokens", anseriniScale: 100 };
const encoder = new TextEncoder();

/** JSON number texts: digits, fractions and exponents of every size, as JSON writes or a person might. */
const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const jsonNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc
    .tuple(fc.boolean(), fc.oneof(fc.constant("0"), fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 25)).map(([a, b]) => `${a}${b}`)), fc.option(digits(1, 30)), fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 4))))
    .map(([neg, int, frac, exp]) => `${neg ? "-" : ""}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : exp.join("")}`),
);

describe("JSON number reader", () => {
  it("reads every JSON number bit for bit as Number.parseFloat and JSON.parse do, and stops where it ends", () => {
    const reader = new JsonNumberReader();
    fc.assert(
      fc.property(jsonNumber, fc.constantFrom("", ",", "}", " "), (text, after) => {
        const v = reader.read(encoder.encode(text + after), 0);
        expect(Object.is(v, Number.parseFloat(text)), `${text}: ${v}`).toBe(true);
        expect(Object.is(v, JSON.parse(text))).toBe(true);
        expect(reader.end).toBe(text.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("is NaN where JSON has no number", () => {
    const reader = new JsonNumberReader();
    for (const text of ["", "-", "+1", ".5", "1.", "1e", "1e+", "-x", "x"]) expect(reader.read(encoder.encode(text), 0), text).toBeNaN();
  });
});

/** The line path's answer for a file's text (what `sparsedb ingest` reads line by line). */
function lineEntries(text: string): LineEntry[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const out: LineEntry[] = [];
  lines.forEach((raw, i) => {
    const e = parseLineEntry(raw.endsWith("\r") ? raw.slice(0, -1) : raw, parser);
    if (e !== undefined) out.push([i + 1, e]);
  });
  return out;
}

const plain = (entries: LineEntry[]) =>
  entries.map(([n, e]) => {
    if ("bad" in e) return [n, e.bad];
    const v = e.vector as SparseVector | undefined;
    return [n, e.id, v === undefined ? null : [...v.terms], v === undefined ? null : [...v.weights], e.metadata ?? null, e.text ?? null];
  });

const token = fc.constantFrom("a", "ab", "abc", "b", "##b", "über", "x", "日本", "abx", "", "abcdefghij", "abcdefghix", "abcdefgh", "abcdefgx", "abcd", "abce", "tokens", "terms", "id", "vector", "a\\u0062", 'a\\"', "\\u00fcber", "\\u65e5\\u672c", "\\ud83d", "\\uD800\\uDC00", "a\\/", "\\n", "\\u006", "\\u006g", "ab\\\\", '\\"');
const weight = fc.oneof(jsonNumber, fc.constantFrom("1e39", "1e400", "-0", "0", "true", "null", '"1"', "01", "1.5.5"));
const ws = fc.constantFrom("", " ", "  ", "\t", "\r");
const vector = fc
  .array(fc.tuple(token, weight, ws), { maxLength: 12 })
  .map((es) => `{${es.map(([t, w, s]) => `${s}"${t}"${s}:${s}${w}`).join(",")}}`);
const id = fc.oneof(fc.stringMatching(/^[a-z0-9-]{0,6}$/).map((s) => JSON.stringify(s)), fc.constantFrom("7", "-3", "0", "-0", "01", "1e3", "1.5", "123456789012345678", '"a\\tb"', '"\\ufeffx"', "null", "true", '"日"'));
const line = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(id, vector, ws, fc.boolean()).map(([i, v, s, idFirst]) => (idFirst ? `{${s}"id"${s}:${s}${i},"vector":${s}${v}${s}}` : `{"vector":${v},${s}"id":${i}${s}}${s}`)) },
  {
    weight: 2,
    arbitrary: fc.tuple(id, vector, fc.nat(7)).map(([i, v, k]) =>
      [`{"id":${i},"vector":${v},"text":"t"}`, `{"id":${i},"vector":${v},"m":{"k":1}}`, `{"id":${i},"id":${i},"vector":${v}}`, `{"id":${i}}`, `{"id":${i},"vector":null}`, `{"id":${i},"vector":{"tokens":{"a":1}}}`, `{"id":${i},"vector":${v}}x`, `{"id":${i},"vector":{"terms":[1],"weights":[2]}}`][k]!,
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom("", "   ", "\u00a0", "not json", "[1]", "{", '{"id":"a","vector":{"a":1,"a":2}}', '{"id":"a","vector":{"a":1,"b":2', "\ufeff{}") },
);

describe("JSON lines chunk parser", () => {
  it("reads any lines as the line path does: documents, weights, metadata, blank and bad lines with their messages", () => {
    const fast = new JsonChunkParser(tokens);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.boolean(), (lines, finalNewline) => {
        const text = lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : "");
        const chunk = fast.parse(encoder.encode(text));
        const got = chunkEntries({ base: 0, chunk, ids: chunkIds(chunk) }, (t) => parseLineEntry(t, parser));
        expect(plain(got)).toEqual(plain(lineEntries(text)));
      }),
      { numRuns: 400 },
    );
  });

  it("takes the common shape on the fast path and leaves only the others to the line parser", () => {
    const text = ['{"id":"d1","vector":{"a":0.5,"über":2}}', '{ "vector": { "x": 1e-3 }, "id": 7 }', '{"id":"d3","vector":{"a":1},"text":"t"}', '{"id":"d4","vector":{"a":2}}', String.raw`{"id":"d5","vector":{"\"":1,"\u00fcber":2}}`, ""].join("\n");
    const chunk = new JsonChunkParser(tokens).parse(encoder.encode(text));
    expect(chunkIds(chunk)).toEqual(["d1", "7", "d4", "d5"]); // d4 too: a slow line's vector leaves nothing behind
    expect([...chunk.terms]).toEqual([1, 6, 7, 1, 6, 17]); // d5's keys unescaped: "über" and the quote
    expect(chunk.slow.map((s) => s.line)).toEqual([3]);
  });
});
