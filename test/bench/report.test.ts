import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { linearAxis, logAxis, paretoFrontier, renderLatencyQualityPlot } from "../../bench/report/latency-quality-plot.js";
import { fixed, markdownTable } from "../../bench/report/markdown-table.js";
import { formatRunLines, roundRunScore, writeTrecRun } from "../../engine/eval/trec-run-writer.js";
import { loadTrecRun, readTrecRun } from "../../engine/eval/trec-run.js";

const dir = mkdtempSync(join(tmpdir(), "sparsedb-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TREC run writer", () => {
  it("writes qid Q0 docid rank score tag, ranks from 1 in the given order", () => {
    expect(formatRunLines("q1", [{ docId: "d7", score: 12.5 }, { docId: "d3", score: 1 / 3 }], "sparsedb-maxscore")).toBe(
      "q1 Q0 d7 1 12.500000 sparsedb-maxscore\nq1 Q0 d3 2 0.333333 sparsedb-maxscore\n",
    );
    expect(roundRunScore(1 / 3)).toBe(0.333333);
    expect(() => formatRunLines("q 1", [], "t")).toThrow(/query id "q 1"/);
    expect(() => formatRunLines("q1", [{ docId: "", score: 1 }], "t")).toThrow(/document id ""/);
  });

  it("round-trips through the run reader", async () => {
    const path = join(dir, "run.trec");
    const run: [string, { docId: string; score: number }[]][] = [
      ["1048585", [{ docId: "11", score: 21.25 }, { docId: "3", score: 4 }]],
      ["2", []],
      ["3", [{ docId: "x", score: -1.5 }]],
    ];
    await writeTrecRun(path, run, "tag");
    const lines = await readTrecRun(path).toArray();
    expect(lines.map((l) => [l.queryId, l.docId, l.rank, l.score, l.tag])).toEqual([
      ["1048585", "11", 1, 21.25, "tag"],
      ["1048585", "3", 2, 4, "tag"],
      ["3", "x", 1, -1.5, "tag"],
    ]);
    expect([...(await loadTrecRun(path)).keys()]).toEqual(["1048585", "3"]);
    await expect(writeTrecRun(join(dir, "absent", "run.trec"), run, "tag")).rejects.toMatchObject({ code: "IO_ERROR" });
  });
});

describe("Markdown table", () => {
  it("pads columns, aligns, and escapes pipes", () => {
    const t = markdownTable(["algorithm", "MRR@10"], [["maxscore", fixed(0.38123, 3)], ["a|b", "1.000"]], ["left", "right"]);
    expect(t).toBe(
      "| algorithm | MRR@10 |\n" + "| --------- | -----: |\n" + "| maxscore  |  0.381 |\n" + "| a\\|b      |  1.000 |\n",
    );
    expect(fixed(NaN, 2)).toBe("-");
  });
});

describe("latency-quality plot", () => {
  it("keeps exactly the points no other point beats on both axes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: fc.double({ min: 0.01, max: 1000, noNaN: true }), y: fc.double({ min: 0, max: 1, noNaN: true }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        (points) => {
          const frontier = new Set(paretoFrontier(points));
          for (const p of points) {
            const dominated = points.some((q) => q !== p && q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y));
            if (dominated) expect(frontier.has(p)).toBe(false);
          }
          const f = [...frontier];
          for (let i = 1; i < f.length; i++) expect(f[i]!.x >= f[i - 1]!.x && f[i]!.y > f[i - 1]!.y).toBe(true);
        },
      ),
    );
  });

  it("builds axes that cover every point", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e4, noNaN: true }), fc.double({ min: 1, max: 1000, noNaN: true }), (lo, f) => {
        const a = logAxis(lo, lo * f);
        expect(a.min).toBeLessThanOrEqual(lo);
        expect(a.max).toBeGreaterThanOrEqual(lo * f);
        expect(a.ticks.some((t) => t.label !== undefined)).toBe(true);
      }),
    );
    const y = linearAxis(0.35, 0.42);
    expect(y.min).toBeLessThan(0.35);
    expect(y.max).toBeGreaterThan(0.42);
    expect(y.ticks.map((t) => t.label)).toEqual(["0.34", "0.36", "0.38", "0.4", "0.42", "0.44"]);
    expect(linearAxis(0, 0).min).toBe(0);
    expect(linearAxis(0.97, 1).max).toBe(1);
    expect(linearAxis(-0.5, 0.5).min).toBeLessThan(-0.5);
    const flat = linearAxis(0.5, 0.5);
    expect(flat.min).toBeLessThan(0.5);
    expect(flat.max).toBeGreaterThan(0.5);
  });

  it("renders a self-contained SVG with axes, a legend and one group per series", () => {
    const svg = renderLatencyQualityPlot({
      title: "nDCG@10 vs latency <subset>",
      subtitle: "synthetic & real",
      xLabel: "mean latency (ms, log scale)",
      yLabel: "nDCG@10",
      series: [
        { name: "maxscore", points: [{ x: 12, y: 0.42, label: "exact" }, { x: 9, y: 0.41, label: "fast" }, { x: 15, y: 0.4 }] },
        { name: "exhaustive", points: [{ x: 110, y: 0.42 }] },
      ],
    });
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("nDCG@10 vs latency &lt;subset&gt;");
    expect(svg).toContain("synthetic &amp; real");
    expect(svg.match(/<g class="series"/g)!.length).toBe(2);
    expect(svg).toContain(">maxscore</text>");
    expect(svg).toContain(">exhaustive</text>");
    expect(svg).toContain(">100</text>"); // a decade tick
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    // the dominated maxscore setting (15 ms, 0.40) is hollow
    expect(svg.match(/fill="#ffffff" stroke="#1f77b4"/g)!.length).toBe(1);
    expect(() => renderLatencyQualityPlot({ title: "", xLabel: "", yLabel: "", series: [] })).toThrow(/no points/);
    expect(() =>
      renderLatencyQualityPlot({ title: "", xLabel: "", yLabel: "", series: [{ name: "a", points: [{ x: 0, y: 1 }] }] }),
    ).toThrow(/latency must be > 0/);
  });
});
