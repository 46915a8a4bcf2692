import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SparseVector } from "../../engine/sparse-vector.js";
import { Vocabulary } from "../../engine/vocabulary.js";

const vocab = new Vocabulary(["[PAD]", "jungle", "forest", "rain", "##forest"]);

describe("SparseVector construction", () => {
  it("builds the same vector from arrays, a term map and a token map", () => {
    const a = SparseVector.fromArrays([2, 1, 4], [0.5, 1.25, 2], { vocabSize: 5 });
    const b = SparseVector.fromTermMap({ 1: 1.25, 2: 0.5, 4: 2 }, { vocabSize: 5 });
    const c = SparseVector.fromTokenMap({ forest: 0.5, jungle: 1.25, "##forest": 2 }, vocab);
    expect(Array.from(a.terms)).toEqual([1, 2, 4]);
    expect(Array.from(a.weights)).toEqual([1.25, 0.5, 2]);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(true);
    expect(a.toTermMap()).toEqual({ 1: 1.25, 2: 0.5, 4: 2 });
  });

  it("drops zero weights", () => {
    expect(SparseVector.fromTermMap({ 1: 0, 2: 3 }).nnz).toBe(1);
  });

  it("names the offending entry", () => {
    expect(() => SparseVector.fromTermMap({ 1: NaN })).toThrow(/weight of term 1 is NaN/);
    expect(() => SparseVector.fromTermMap({ 1: Infinity })).toThrow(/weight of term 1 is Infinity; weights must be finite/);
    expect(() => SparseVector.fromTermMap({ 3: -0.5 })).toThrow(/document weight of term 3 is negative \(-0.5\)/);
    expect(() => SparseVector.fromArrays([4, 4], [1, 1])).toThrow(/term id 4 appears twice/);
    expect(() => SparseVector.fromArrays([30522], [1])).toThrow(/term id 30522 is not an integer in 0\.\.30521/);
    expect(() => SparseVector.fromArrays([1.5], [1])).toThrow(/term id 1.5 is not an integer/);
    expect(() => SparseVector.fromTermMap({ x: 1 })).toThrow(/term map key "x" is not a non-negative integer/);
    expect(() => SparseVector.fromTokenMap({ jungel: 1 }, vocab)).toThrow(/unknown token "jungel"/);
    expect(() => SparseVector.fromArrays([1, 2], [1])).toThrow(/differ in length/);
    expect(() => SparseVector.fromArrays([1], [1e39])).toThrow(/overflows float32/);
  });

  it("accepts any finite sign for queries", () => {
    const q = SparseVector.fromTermMap({ 3: -0.5, 1: 2 }, { role: "query" });
    expect(Array.from(q.weights)).toEqual([2, -0.5]);
  });

  it("dot product equals the definition", () => {
    const entry = fc.dictionary(fc.integer({ min: 0, max: 60 }).map(String), fc.float({ min: -4, max: 4, noNaN: true }));
    fc.assert(
      fc.property(entry, entry, (ma, mb) => {
        const a = SparseVector.fromTermMap(ma, { role: "query" });
        const b = SparseVector.fromTermMap(mb, { role: "query" });
        let s = 0;
        for (let i = 0; i < a.nnz; i++) {
          const w = b.toTermMap()[a.terms[i]!];
          if (w !== undefined) s += a.weights[i]! * w;
        }
        expect(a.dot(b)).toBe(s);
      }),
    );
  });
});
