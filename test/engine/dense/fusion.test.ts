import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkFusion, fuse, type Fusion, type FusionLeg, type LegHit } from "../../../engine/dense/fusion.js";

/** A leg's exact result: every document's score for that leg, the best `depth` (ties: lower id). */
function exactLeg(scores: (number | null)[], depth: number): LegHit<number>[] {
  return scores
    .map((score, id) => ({ id, score }))
    .filter((h): h is LegHit<number> => h.score !== null)
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, depth);
}

/** The textbook formulas, written out per id: what each leg gives a document, summed sparse then dense. */
function reference(legs: Record<FusionLeg, LegHit<number>[]>, fusion: Fusion): { id: number; score: number; legs: Record<string, { rank: number; score: number }> }[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const contribution = (leg: FusionLeg, id: number): number | null => {
    const hits = legs[leg];
    const i = hits.findIndex((h) => h.id === id);
    if (i < 0) return null;
    const s = hits[i]!.score, all = hits.map((h) => h.score);
    if (fusion === "rrf") return 1 / (60 + i + 1);
    if (typeof fusion === "object" && "rrf" in fusion) return 1 / ((fusion.rrf.k ?? 60) + i + 1);
    if (fusion === "dbsf") {
      const m = mean(all);
      const sd = all.length < 2 ? 0 : Math.sqrt(all.map((x) => (x - m) * (x - m)).reduce((a, b) => a + b, 0) / (all.length - 1));
      const lo = m - 3 * sd, hi = m + 3 * sd;
      return lo === hi ? 0.5 : (s - lo) / (hi - lo);
    }
    const lo = Math.min(...all), hi = Math.max(...all);
    return fusion.linear[leg] * (lo === hi ? 0.5 : (s - lo) / (hi - lo));
  };
  const ids = [...new Set([...legs.sparse, ...legs.dense].map((h) => h.id))];
  return ids
    .map((id) => {
      const cs = contribution("sparse", id), cd = contribution("dense", id);
      const places: Record<string, { rank: number; score: number }> = {};
      for (const leg of ["sparse", "dense"] as const) {
        const i = legs[leg].findIndex((h) => h.id === id);
        if (i >= 0) places[leg] = { rank: i + 1, score: legs[leg][i]!.score };
      }
      return { id, score: 0 + (cs ?? 0) + (cd ?? 0), legs: places };
    })
    .sort((a, b) => b.score - a.score || a.id - b.id);
}

const fusions = fc.oneof(
  fc.constant<Fusion>("rrf"),
  fc.constant<Fusion>("dbsf"),
  fc.integer({ min: 0, max: 100 }).map<Fusion>((k) => ({ rrf: { k } })),
  fc.record({ sparse: fc.double({ min: 0, max: 3, noNaN: true }), dense: fc.double({ min: 0, max: 3, noNaN: true }) }).map<Fusion>((linear) => ({ linear })),
);
// Per document: a sparse score (or none: no matching term) and a dense score (or none: no dense
// vector). Few distinct values, so ties inside legs and in fused scores are common.
const corpus = fc.array(fc.record({ sparse: fc.option(fc.integer({ min: 0, max: 6 }).map((x) => x / 2)), dense: fc.option(fc.integer({ min: -4, max: 4 }).map((x) => x / 4)) }), { maxLength: 60 });

describe("fusion of the legs' exact results", () => {
  it("equals the direct formulas for rrf, dbsf and linear, for any corpus, prefetch depth and limit", () => {
    fc.assert(
      fc.property(corpus, fusions, fc.integer({ min: 1, max: 25 }), fc.integer({ min: 0, max: 30 }), (docs, fusion, depth, limit) => {
        const legs = { sparse: exactLeg(docs.map((d) => d.sparse), depth), dense: exactLeg(docs.map((d) => d.dense), depth) };
        const expected = reference(legs, fusion);
        expect(fuse(legs, fusion)).toEqual(expected);
        expect(fuse(legs, fusion, limit)).toEqual(expected.slice(0, limit));
        // One leg alone: its own order back (each fusion is monotone in a leg's score / rank).
        expect(fuse({ dense: legs.dense }, fusion).map((h) => h.id)).toEqual(reference({ sparse: [], dense: legs.dense }, fusion).map((h) => h.id));
      }),
      { numRuns: 300 },
    );
  });

  it("matches hand-computed values", () => {
    const sparse = [{ id: "a", score: 9 }, { id: "b", score: 5 }, { id: "c", score: 1 }];
    const dense = [{ id: "c", score: 0.9 }, { id: "d", score: 0.5 }];
    const rrf = fuse({ sparse, dense }, "rrf");
    expect(rrf.map((h) => h.id)).toEqual(["c", "a", "b", "d"]);
    expect(rrf[0]!.score).toBe(1 / 63 + 1 / 61);
    expect(rrf[0]!.legs).toEqual({ sparse: { rank: 3, score: 1 }, dense: { rank: 1, score: 0.9 } });
    expect(fuse({ sparse, dense }, { rrf: { k: 0 } })[0]).toMatchObject({ id: "c", score: 1 / 3 + 1 });
    // dbsf: sparse mean 5, sd 4: lo -7, hi 17; dense mean 0.7, sd 0.2828...: lo, hi = 0.7 -+ 0.8485...
    const dbsf = fuse({ sparse, dense }, "dbsf");
    const sdDense = Math.sqrt(0.08);
    expect(dbsf.find((h) => h.id === "a")!.score).toBeCloseTo(16 / 24, 12);
    expect(dbsf.find((h) => h.id === "c")!.score).toBeCloseTo(8 / 24 + (0.9 - 0.7 + 3 * sdDense) / (6 * sdDense), 12);
    // linear: min-max per leg (sparse: a 1, b 0.5, c 0; dense: c 1, d 0).
    const linear = fuse({ sparse, dense }, { linear: { sparse: 1, dense: 2 } });
    expect(linear.map((h) => [h.id, h.score])).toEqual([["c", 2], ["a", 1], ["b", 0.5], ["d", 0]]);
    // A leg of one hit (or all equal) normalises to 0.5.
    expect(fuse({ sparse: [{ id: 7, score: 3 }] }, "dbsf")).toEqual([{ id: 7, score: 0.5, legs: { sparse: { rank: 1, score: 3 } } }]);
    expect(fuse({ sparse: [], dense: [] }, "rrf")).toEqual([]);
  });

  it("does not clip dbsf: a hit beyond 3 standard deviations maps above 1, as in Qdrant", () => {
    const leg = [{ id: 0, score: 1 }, ...Array.from({ length: 11 }, (_, i) => ({ id: i + 1, score: 0 }))];
    const top = fuse({ dense: leg }, "dbsf")[0]!;
    expect(top.id).toBe(0);
    expect(top.score).toBeGreaterThan(1);
  });

  it("refuses bad fusions and bad legs clearly", () => {
    expect(() => checkFusion("max")).toThrow(/fusion is "max"; use "rrf", "dbsf", \{rrf: \{k\}\} or \{linear: \{sparse, dense\}\}/);
    expect(() => checkFusion({ rrf: { k: -1 } })).toThrow(/fusion.rrf.k is -1; it must be a finite number >= 0/);
    expect(() => checkFusion({ linear: { sparse: 1 } })).toThrow(/fusion.linear.dense is missing/);
    expect(() => checkFusion({ linear: { sparse: 1, dense: 1, bm25: 2 } })).toThrow(/unknown field "bm25"/);
    expect(() => checkFusion({ rrf: {}, dbsf: {} })).toThrow(/has the field\(s\) "rrf", "dbsf"/);
    expect(checkFusion({ rrf: {} })).toEqual({ rrf: {} });
    expect(() => fuse({ sparse: [{ id: 1, score: 1 }, { id: 1, score: 0 }] }, "rrf")).toThrow(/sparse leg lists id 1 twice \(ranks 1 and 2\)/);
    expect(() => fuse({ dense: [{ id: 1, score: NaN }] }, "dbsf")).toThrow(/dense leg's hit 1 has the score NaN/);
    expect(() => fuse({}, "rrf", -1)).toThrow(/limit is -1/);
  });
});
