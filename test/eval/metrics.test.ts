import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { evaluateQuery, evaluateRun } from "../../engine/eval/evaluate.js";
import { averagePrecision, ndcgAtK, reciprocalRank, recallAtK, trecOrder } from "../../engine/eval/measures.js";
import { loadQrels } from "../../engine/eval/qrels.js";
import { loadTrecRun } from "../../engine/eval/trec-run.js";

const rels = (o: Record<string, number>) => new Map(Object.entries(o));

describe("per-query measures (hand-computed)", () => {
  it("reciprocal rank finds the first relevant document within the cutoff", () => {
    expect(reciprocalRank(["a", "b", "c"], rels({ c: 1 }))).toBeCloseTo(1 / 3, 12);
    expect(reciprocalRank(["a", "b", "c"], rels({ a: 0, b: -1, c: 2 }))).toBeCloseTo(1 / 3, 12);
    const eleven = Array.from({ length: 11 }, (_, i) => `d${i}`);
    expect(reciprocalRank(eleven, rels({ d10: 1 }))).toBe(0); // rank 11 is past the cutoff of 10
    expect(reciprocalRank(eleven, rels({ d9: 1 }))).toBeCloseTo(0.1, 12);
    expect(reciprocalRank([], rels({ a: 1 }))).toBe(0);
  });

  it("nDCG@10 uses graded gains, log2(rank+1) and the ideal ranking of the qrels", () => {
    // DCG = 2/log2(3) + 1/log2(4); ideal = 3/1 + 2/log2(3) + 1/log2(4) (d4 judged 3, never retrieved)
    const j = rels({ d2: 2, d3: 1, d4: 3 });
    expect(ndcgAtK(["d1", "d2", "d3"], j)).toBeCloseTo(0.369994012738, 10);
    expect(ndcgAtK(["d4", "d2", "d3"], j)).toBeCloseTo(1, 12);
    expect(ndcgAtK(["d1"], rels({ d1: 0 }))).toBe(0); // no relevant document: ideal DCG 0 -> 0
    // only the top 10 count, on both sides
    const ranked = [...Array.from({ length: 10 }, (_, i) => `x${i}`), "d4"];
    expect(ndcgAtK(ranked, j)).toBe(0);
  });

  it("recall@k counts relevance >= 1 in the top k over all relevant", () => {
    const ranked = Array.from({ length: 120 }, (_, i) => `d${i}`);
    const j = rels({ d0: 1, d99: 2, d100: 1, d5: 0, other: 1 });
    expect(recallAtK(ranked, j, 100)).toBeCloseTo(2 / 4, 12);
    expect(recallAtK(ranked, j, 1000)).toBeCloseTo(3 / 4, 12);
    expect(recallAtK(ranked, rels({ d0: 0 }), 100)).toBe(0);
  });

  it("average precision sums precision at each relevant rank over all relevant documents", () => {
    const j = rels({ a: 1, c: 2, z: 1, n: 0 });
    // a at rank 1 (1/1), c at rank 3 (2/3); z never retrieved; n is judged not relevant.
    expect(averagePrecision(["a", "n", "c", "x"], j)).toBeCloseTo((1 + 2 / 3) / 3, 12);
    expect(averagePrecision(["x", "a", "c"], j, 2)).toBeCloseTo(1 / 2 / 3, 12); // cut at 2
    expect(averagePrecision(["a"], rels({ a: 0 }))).toBe(0);
  });

  it("ranks ties by document id descending, as trec_eval does", () => {
    const docs = [
      { docId: "a", score: 1 },
      { docId: "c", score: 0.5 },
      { docId: "b", score: 1 },
      { docId: "10", score: 2 },
      { docId: "9", score: 2 },
    ];
    expect(trecOrder(docs).map((d) => d.docId)).toEqual(["9", "10", "b", "a", "c"]);
    expect(evaluateQuery(docs, rels({ a: 1 }))["MRR@10"]).toBeCloseTo(1 / 4, 12);
  });

  it("every measure lies in [0, 1] and a perfect ranking scores 1", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { maxLength: 30 }),
        fc.dictionary(fc.integer({ min: 0, max: 50 }).map(String), fc.integer({ min: -1, max: 3 })),
        (ids, judged) => {
          const docs = ids.map((id, i) => ({ docId: String(id), score: -i }));
          const m = evaluateQuery(docs, rels(judged));
          for (const v of Object.values(m)) expect(v >= 0 && v <= 1 + 1e-12).toBe(true);
          const ideal = Object.entries(judged)
            .filter(([, r]) => r > 0)
            .sort((x, y) => y[1] - x[1])
            .map(([id], i) => ({ docId: id, score: 100 - i }));
          if (ideal.length > 0) {
            const best = evaluateQuery(ideal, rels(judged));
            expect(best["MRR@10"]).toBe(1);
            expect(best["nDCG@10"]).toBeCloseTo(1, 12);
            expect(best["R@1000"]).toBe(1);
          }
        },
      ),
    );
  });
});

describe("a run file scored by hand", () => {
  const dir = mkdtempSync(join(tmpdir(), "sparsedb-metrics-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const qrelsPath = join(dir, "qrels.txt");
  const runPath = join(dir, "run.trec");
  writeFileSync(
    qrelsPath,
    ["q1 0 d1 1", "q1 0 d5 1", "q2 0 d3 2", "q2 0 d4 1", "q2 0 d9 0", "q3 0 d7 0", "q4 0 d1 1"].join("\n") + "\n",
  );
  writeFileSync(
    runPath,
    [
      "q1 Q0 d2 1 9.0 t",
      "q1 Q0 d1 2 8.0 t", // tied with d5: d5 ranks first (ids descending), whatever the rank column says
      "q1 Q0 d5 3 8.0 t",
      "q2 Q0 d4 1 5 t",
      "q2 Q0 d9 2 4 t",
      "q2 Q0 d3 3 3 t",
      "q3 Q0 d7 1 1 t",
      "q5 Q0 d1 1 1 t", // q5 has no judgements: ignored
    ].join("\n") + "\n",
  );

  // q1: d2 d5 d1 -> RR 1/2, nDCG (1/log2 3 + 1/2) / (1 + 1/log2 3) = 0.693426, recall 1
  // q2: d4 d9 d3 -> RR 1,   nDCG (1 + 2/2) / (2 + 1/log2 3)         = 0.760188, recall 1
  // q3: judged, nothing relevant -> zeros. q4: judged, not in the run (only with -c).
  it("matches trec_eval's default averaging (judged queries found in the run)", async () => {
    const e = evaluateRun(await loadTrecRun(runPath), await loadQrels(qrelsPath));
    expect(e.queries).toBe(3);
    expect(e.unjudgedQueries).toBe(1);
    expect(e.perQuery.get("q1")!["nDCG@10"]).toBeCloseTo(0.6934264036, 9);
    expect(e.perQuery.get("q2")!["nDCG@10"]).toBeCloseTo(0.7601875334, 9);
    expect(e.mean["MRR@10"]).toBeCloseTo(0.5, 12);
    expect(e.mean["nDCG@10"]).toBeCloseTo(0.4845379790, 9);
    expect(e.mean["R@100"]).toBeCloseTo(2 / 3, 12);
    expect(e.mean["R@1000"]).toBeCloseTo(2 / 3, 12);
    // AP q1 (1/2 + 2/3) / 2, q2 (1 + 2/3) / 2, q3 0
    expect(e.mean["MAP@1000"]).toBeCloseTo((7 / 12 + 5 / 6) / 3, 12);
  });

  it("matches trec_eval -c (judged queries missing from the run count as 0)", async () => {
    const e = evaluateRun(await loadTrecRun(runPath), await loadQrels(qrelsPath), { complete: true });
    expect(e.queries).toBe(4);
    expect(e.mean["MRR@10"]).toBeCloseTo(0.375, 12);
    expect(e.mean["nDCG@10"]).toBeCloseTo(0.3634034843, 9);
    expect(e.mean["R@100"]).toBeCloseTo(0.5, 12);
  });

  it("rejects a document retrieved twice for one query", () => {
    const run = new Map([["q1", [{ docId: "d1", score: 2 }, { docId: "d1", score: 1 }]]]);
    expect(() => evaluateRun(run, new Map([["q1", rels({ d1: 1 })]]))).toThrow(/retrieves document d1 twice/);
  });
});
