import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AnseriniVectorParser } from "../../engine/cli/anserini-vector.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { Vocabulary } from "../../engine/vocabulary.js";

const vocabulary = new Vocabulary(["[PAD]", "a", "ab", "abc", "b", "##b", "über", "x", "a"]);

/** The reference: a token-count object, as the reader was before (and SparseVector.fromTokenMap). */
function reference(body: string, scale: number): SparseVector {
  const counts: Record<string, number> = {};
  for (const tok of body.split(" ")) if (tok !== "") counts[tok] = (counts[tok] ?? 0) + 1;
  for (const tok of Object.keys(counts)) counts[tok] = counts[tok]! / scale;
  return SparseVector.fromTokenMap(counts, vocabulary);
}

describe("AnseriniVectorParser", () => {
  it("equals the token-count reference for any token sequence (repeats, runs, spaces)", () => {
    const known = ["a", "ab", "abc", "b", "##b", "über", "x"];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...known), fc.constant("")), { maxLength: 60 }), fc.constantFrom(1, 10, 100), (toks, scale) => {
        const body = toks.join(" ");
        const parser = new AnseriniVectorParser(vocabulary, scale);
        const line = `id\t${body}`;
        const got = parser.parse(line, 3);
        const want = reference(body, scale);
        expect([...got.terms]).toEqual([...want.terms]);
        expect([...got.weights]).toEqual([...want.weights]);
        // The reused count array is clean for the next line.
        expect([...parser.parse(line, 3).weights]).toEqual([...want.weights]);
      }),
    );
  });

  it("maps a repeated vocabulary token to its first id and names an unknown token", () => {
    const parser = new AnseriniVectorParser(vocabulary, 1);
    expect([...parser.parse("d\ta a", 2).terms]).toEqual([1]);
    expect(() => parser.parse("d\tab abcd", 2)).toThrow(/unknown token "abcd": it is not in the vocabulary \(9 terms\)/);
    expect(() => parser.parse("d\tabc ab", 2)).not.toThrow(); // prefixes of each other are told apart
    expect([...parser.parse("d\tab", 2).weights]).toEqual([1]); // nothing left counted by the failed line
  });
});
