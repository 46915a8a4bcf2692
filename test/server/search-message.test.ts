import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeReply, decodeSearch, encodeReply, encodeSearch, type SearchJob } from "../../engine/server/search-message.js";

/** The search pool's packed messages (search-message.ts) give back exactly what was packed. */

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const float = fc.double({ noNaN: true });
const jobArb = fc.integer({ min: 1, max: 300 }).chain((nTerms) =>
  fc.record({
    job: fc.integer({ min: 0, max: 2 ** 40 }),
    segment: fc.integer({ min: 1, max: 2 ** 31 }),
    k: fc.integer({ min: 1, max: 10_000 }),
    deletions: fc.boolean(),
    rq: fc.record({
      terms: fc.array(u32, { minLength: nTerms, maxLength: nTerms }),
      scoreWeights: fc.array(float, { minLength: nTerms, maxLength: nTerms }),
      dense: fc.array(u32, { maxLength: 2 * nTerms }),
      nibble: fc.array(u32, { maxLength: 2 * nTerms }),
      rare: fc.array(u32, { maxLength: 3 * nTerms }),
      collectUnits: float,
      thrScale: float,
      slackUnits: float,
      quantized: fc.boolean(),
      quantStep: float,
      maxImpact: fc.integer({ min: 0, max: 65535 }),
      maxRanges: fc.integer({ min: 0, max: 2 ** 31 }),
    }),
  }),
);

/** A decoded job with its typed-array lists as plain arrays, to compare with what was encoded. */
function plain(s: SearchJob): unknown {
  const { rq } = s;
  return { ...s, rq: { ...rq, terms: Array.from(rq.terms), scoreWeights: Array.from(rq.scoreWeights), dense: Array.from(rq.dense), nibble: Array.from(rq.nibble), rare: Array.from(rq.rare) } };
}

describe("search pool messages", () => {
  it("a search decodes to what was encoded, in one buffer", () => {
    fc.assert(
      fc.property(jobArb, (job) => {
        const buffer = encodeSearch(job);
        expect(buffer).toBeInstanceOf(ArrayBuffer);
        expect(plain(decodeSearch(buffer))).toEqual(job);
      }),
      { numRuns: 300 },
    );
  });

  it("a search without maxRanges decodes with 0 (no cap)", () => {
    const rq = { terms: [4], scoreWeights: [0.5], dense: [], nibble: [], rare: [7, 9, 3], collectUnits: 1, thrScale: 2, slackUnits: 0, quantized: false, quantStep: 1, maxImpact: 255 };
    expect(decodeSearch(encodeSearch({ job: 3, segment: 1, k: 10, deletions: false, rq })).rq.maxRanges).toBe(0);
  });

  it("a reply decodes to the first `size` entries of the heap and the counters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ doc: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), score: float }), { maxLength: 200 }),
        fc.nat(20),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.nat(),
        fc.nat(),
        (heap, extra, job, postings, candidates) => {
          // The kernel's heap is larger than the hits it holds: only the first `size` go back.
          const docs = Int32Array.from([...heap.map((h) => h.doc), ...Array.from({ length: extra }, () => 99)]);
          const scores = Float64Array.from([...heap.map((h) => h.score), ...Array.from({ length: extra }, () => -1)]);
          const r = decodeReply(encodeReply(job, docs, scores, heap.length, postings, candidates));
          expect({ job: r.job, postings: r.postings, candidates: r.candidates }).toEqual({ job, postings, candidates });
          expect(Array.from(r.docs)).toEqual(heap.map((h) => h.doc));
          expect(Array.from(r.scores)).toEqual(heap.map((h) => h.score));
        },
      ),
      { numRuns: 200 },
    );
  });
});
