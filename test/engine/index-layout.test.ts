import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bitWidth, pack, packedWords, unpack } from "../../engine/index/bit-packing.js";
import { IndexBuilder } from "../../engine/index/index-builder.js";
import { SegmentIndex } from "../../engine/index/segment-index.js";
import { searchSegment } from "../../engine/search/search.js";
import { SparseVector } from "../../engine/sparse-vector.js";

describe("bit packing", () => {
  it("unpack(pack(x)) = x for every width", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31 }), fc.array(fc.nat(), { maxLength: 128 }), (width, raw) => {
        const values = raw.map((v) => (width === 0 ? 0 : v % 2 ** width));
        const words = new Uint32Array(packedWords(values.length, width) + 1);
        expect(pack(values, values.length, width, words, 1)).toBe(packedWords(values.length, width));
        const out = new Int32Array(128);
        unpack(words, 1, values.length, width, out);
        expect(Array.from(out.subarray(0, values.length))).toEqual(values);
        for (const v of values) expect(bitWidth(v)).toBeLessThanOrEqual(width);
      }),
    );
  });
});

describe("IndexBuilder and SegmentIndex", () => {
  const docs = fc.array(
    fc
      .dictionary(fc.integer({ min: 0, max: 300 }).map(String), fc.float({ min: Math.fround(0.01), max: 3, noNaN: true }), { maxKeys: 20 })
      .map((m) => SparseVector.fromTermMap(m, { vocabSize: 301 })),
    { maxLength: 300 },
  );

  it("keeps every document's float vector, and its posting counts, through sections", () => {
    fc.assert(
      fc.property(docs, fc.constantFrom(4, 8, 12), (vectors, bits) => {
        const b = new IndexBuilder({ bits, vocabSize: 301 });
        vectors.forEach((v, i) => expect(b.add(v)).toBe(i));
        const ix = b.build();
        const { meta, arrays } = ix.toSections();
        const copy = SegmentIndex.fromSections(meta, Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, a.slice()])));
        let postings = 0;
        vectors.forEach((v, d) => {
          expect(copy.forward.vector(d).equals(v)).toBe(true);
          postings += v.nnz;
        });
        expect(copy.numPostings).toBe(postings);
        let df = 0;
        for (let t = 0; t < 301; t++) df += copy.inverted.docFreq(t);
        expect(df).toBe(postings);
        const q = SparseVector.fromTermMap({ 5: 1, 7: -0.5, 200: 2 }, { role: "query", vocabSize: 301 });
        expect(searchSegment(copy, q, { k: 5 }).hits).toEqual(searchSegment(ix, q, { k: 5 }).hits);
      }),
      { numRuns: 60 },
    );
  });

  it("addFlat and fromFlat build what addArrays builds document by document, and reject what it rejects", () => {
    const raw = fc.array(fc.array(fc.record({ term: fc.integer({ min: 0, max: 42 }), weight: fc.constantFrom(0, 0.5, 1, Math.fround(0.3), 2, -1, NaN, Infinity) }), { maxLength: 12 }), { maxLength: 60 });
    fc.assert(
      fc.property(raw, fc.boolean(), fc.boolean(), (docs, sorted, u16) => {
        // Mostly valid documents (sorted, distinct terms, weights >= 0), sometimes not.
        const rows = docs.map((d) => (sorted ? [...new Map(d.filter((p) => p.weight >= 0 && p.weight < Infinity).map((p) => [p.term, p])).values()].sort((a, b) => a.term - b.term) : d));
        const docStart = new Uint32Array(rows.length + 1);
        rows.forEach((r, i) => (docStart[i + 1] = docStart[i]! + r.length));
        const all = rows.flat();
        const terms = u16 ? Uint16Array.from(all, (p) => p.term) : Uint32Array.from(all, (p) => p.term);
        const weights = Float32Array.from(all, (p) => p.weight);
        const one = new IndexBuilder({ vocabSize: 41 });
        const flat = new IndexBuilder({ vocabSize: 41 });
        let error: string | undefined;
        try {
          rows.forEach((_, d) => one.addArrays(terms.subarray(docStart[d], docStart[d + 1]), weights.subarray(docStart[d], docStart[d + 1])));
        } catch (e) {
          error = (e as Error).message;
        }
        if (error !== undefined) {
          expect(() => flat.addFlat(docStart, terms, weights)).toThrow(error);
          expect(() => IndexBuilder.fromFlat({ vocabSize: 41 }, docStart, terms, weights)).toThrow(error);
          return;
        }
        flat.addFlat(docStart, terms, weights);
        expect(flat.numDocs).toBe(one.numDocs);
        const a = one.build().toSections();
        for (const b of [flat.build().toSections(), IndexBuilder.fromFlat({ vocabSize: 41 }, docStart, terms, weights).toSections()]) {
          expect(b.meta).toEqual(a.meta);
          for (const k of Object.keys(a.arrays)) {
            expect(b.arrays[k]!.constructor, k).toBe(a.arrays[k]!.constructor);
            expect(Array.from(b.arrays[k]!), k).toEqual(Array.from(a.arrays[k]!));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("reports memory per posting for the index (range layout, posting lists once derived) and the forward index separately", () => {
    const b = new IndexBuilder();
    let nnz = 0;
    for (let d = 0; d < 1000; d++) {
      const v = SparseVector.fromTermMap({ [d % 50]: 1, [(d * 7) % 300]: 0.5, 1000: 0.25 });
      nnz += v.nnz;
      b.add(v);
    }
    const ix = b.build();
    const m = ix.memory();
    expect(m.postings).toBe(nnz);
    // The block posting lists are derived only when a reference algorithm asks for them.
    expect(m.invertedBytes).toBe(0);
    expect(m.rangeBytes).toBe(ix.ranges.byteLength());
    expect(m.forwardBytes).toBe(4 * 1001 + 6 * m.postings);
    expect(m.invertedBytesPerPosting).toBeCloseTo(m.rangeBytes / m.postings);
    expect(ix.inverted.numPostings).toBe(nnz);
    const after = ix.memory();
    expect(after.invertedBytes).toBe(ix.inverted.byteLength());
    expect(after.invertedBytesPerPosting).toBeCloseTo((after.invertedBytes + after.rangeBytes) / after.postings);
  });

  it("rejects bad input with what to do", () => {
    expect(() => new IndexBuilder({ bits: 0 })).toThrow(/bits must be an integer in 1\.\.16/);
    expect(() => new IndexBuilder({ bits: 17 })).toThrow(/8 is the default/);
    const b = new IndexBuilder({ vocabSize: 10 });
    expect(() => b.addArrays([3, 2], [1, 1])).toThrow(/out of order, repeated or not in 0\.\.9/);
    expect(() => b.addArrays([12], [1])).toThrow(/not in 0\.\.9/);
    expect(() => b.addArrays([1], [-1])).toThrow(/must be finite and >= 0/);
    expect(() => b.addArrays([1], [NaN])).toThrow(/must be finite and >= 0/);
    b.build();
    expect(() => b.build()).toThrow(/already built/);
  });

  it("detects inconsistent sections", () => {
    const b = new IndexBuilder();
    b.add(SparseVector.fromTermMap({ 1: 1 }));
    const { meta, arrays } = b.build().toSections();
    expect(() => SegmentIndex.fromSections(meta, { ...arrays, "range.rareStart": new Uint32Array(5) })).toThrow(/range layout is inconsistent/);
    expect(() => SegmentIndex.fromSections({ ...meta, numDocs: "x" }, arrays)).toThrow(/numDocs/);
    expect(() => SegmentIndex.fromSections({ ...meta, numDocs: 2 }, arrays)).toThrow(/2 docs but the forward index holds 1/);
    const { "range.rows": _omitted, ...rest } = arrays;
    expect(() => SegmentIndex.fromSections(meta, rest)).toThrow(/section "range.rows" is missing/);
    // A file without the range layout (written before it existed) still opens: it is derived.
    const { "range.termDocFreq": _a, "range.termRow": _b, "range.rows": _c, "range.rareStart": _d, "range.rare": _e, "range.kthWeight": _f, ...old } = arrays;
    expect(SegmentIndex.fromSections(meta, old).ranges.a.termDocFreq[1]).toBe(1);
  });
});
