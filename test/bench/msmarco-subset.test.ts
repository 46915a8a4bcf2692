import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { selectSubset } from "../../bench/msmarco/subset.js";
import { parseMsmarcoArgs } from "../../bench/msmarco/options.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

describe("selectSubset", () => {
  it("keeps every judged document and fills with a seeded sample, in stream order", async () => {
    const judged = new Set(["p3", "p50", "absent"]);
    const a = await selectSubset(ids(100), (d) => d, judged, 10, 42);
    expect(a.docs.length).toBe(10 - 1); // 3 judged reserve 3 slots; one judged id is not in the stream
    expect(a.docs).toContain("p3");
    expect(a.docs).toContain("p50");
    expect(a.missingJudged).toEqual(["absent"]);
    expect(a.judgedKept).toBe(2);
    expect(a.seen).toBe(100);
    const positions = a.docs.map((d) => Number(d.slice(1)));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    const again = await selectSubset(ids(100), (d) => d, judged, 10, 42);
    expect(again.docs).toEqual(a.docs);
    const other = await selectSubset(ids(100), (d) => d, judged, 10, 7);
    expect(other.docs).not.toEqual(a.docs);
  });

  it("keeps everything without a size, and only judged documents when they fill the size", async () => {
    expect((await selectSubset(ids(5), (d) => d, new Set(), undefined, 1)).docs).toEqual(ids(5));
    expect((await selectSubset(ids(5), (d) => d, new Set(["p1", "p4"]), 1, 1)).docs).toEqual(["p1", "p4"]);
    expect((await selectSubset(ids(3), (d) => d, new Set(), 10, 1)).docs).toEqual(ids(3));
    await expect(selectSubset(["a", "a"], (d) => d, new Set(["a"]), 2, 1)).rejects.toThrow(/appears twice/);
    await expect(selectSubset(ids(3), (d) => d, new Set(), 0, 1)).rejects.toThrow(/positive integer/);
  });

  it("samples every unjudged document with about the same probability", async () => {
    const hits = new Array<number>(50).fill(0);
    const rounds = 400;
    for (let seed = 0; seed < rounds; seed++) {
      const s = await selectSubset(ids(50), (d) => d, new Set(), 10, seed);
      for (const d of s.docs) hits[Number(d.slice(1))]!++;
    }
    // Each document is kept with probability 10/50: 80 of 400 expected; 4.5 standard deviations is 8 * 4.5.
    for (const h of hits) expect(Math.abs(h - 80)).toBeLessThan(36);
  });

  it("always returns min(size, stream) documents when every judged id is present", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 40 }), fc.integer(), async (n, size, seed) => {
        const judged = new Set(ids(n).filter((_, i) => i % 7 === 0));
        const s = await selectSubset(ids(n), (d) => d, judged, size, seed);
        expect(s.docs.length).toBe(Math.max(judged.size, Math.min(size, n)));
        for (const j of judged) expect(s.docs).toContain(j);
        expect(new Set(s.docs).size).toBe(s.docs.length);
      }),
    );
  });
});

describe("bench msmarco options", () => {
  const base = ["--qrels", "q.txt", "--doc-vectors", "d.jsonl", "--query-vectors", "q.jsonl"];
  it("fills defaults", () => {
    const o = parseMsmarcoArgs(base);
    expect(o.k).toBe(1000);
    expect(o.modes.map((m) => m.label)).toEqual(["exact", "fast"]);
    // approximate is one run per requested recall.
    const a = parseMsmarcoArgs([...base, "--modes", "exact,approximate", "--recall", "0.9,0.99"]);
    expect(a.modes).toEqual([{ mode: "exact", label: "exact" }, { mode: "approximate", recall: 0.9, label: "approximate@0.9" }, { mode: "approximate", recall: 0.99, label: "approximate@0.99" }]);
    expect(o.algorithms).toContain("maxscore");
    expect(o.seed).toBe(42);
    expect(o.encoder).toBeUndefined();
  });

  it("says what is missing or wrong", () => {
    expect(() => parseMsmarcoArgs(["--doc-vectors", "d"])).toThrow(/--qrels FILE is required/);
    expect(() => parseMsmarcoArgs(["--qrels", "q", "--queries", "q"])).toThrow(/give the documents/);
    expect(() => parseMsmarcoArgs(["--qrels", "q", "--collection", "c", "--queries", "q"])).toThrow(/--model DIR or --encoder/);
    expect(() => parseMsmarcoArgs([...base, "--encoder", "tfidf"])).toThrow(/--encoder tfidf is unknown/);
    expect(() => parseMsmarcoArgs([...base, "--algorithms", "maxscore,quick"])).toThrow(/unknown algorithm "quick"/);
    expect(() => parseMsmarcoArgs([...base, "--modes", "exact,approx"])).toThrow(/"approx" is unknown/);
    expect(() => parseMsmarcoArgs([...base, "--modes", "approximate", "--recall", "1"])).toThrow(/recall must be a number in 0.8..0.999/);
    expect(() => parseMsmarcoArgs([...base, "--k", "0"])).toThrow(/--k must be an integer >= 1/);
    expect(() => parseMsmarcoArgs([...base, "--docs", "ten"])).toThrow(/--docs/);
    expect(() => parseMsmarcoArgs([...base, "--plot-metric", "P@5"])).toThrow(/--plot-metric P@5 is unknown/);
    expect(() => parseMsmarcoArgs([...base, "--bogus"])).toThrow(/unknown option --bogus/);
    expect(parseMsmarcoArgs(["--qrels", "q", "--collection", "c", "--queries", "q", "--model", "m"]).encoder).toBe("splade");
  });
});
