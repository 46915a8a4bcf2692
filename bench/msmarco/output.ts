import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderLatencyQualityPlot } from "../report/latency-quality-plot.js";
import { fixed, markdownTable } from "../report/markdown-table.js";
import type { Metrics } from "../../engine/eval/evaluate.js";
import type { EncodeFigures } from "./encode.js";
import type { IndexFigures, SearchRunResult } from "./index-and-search.js";

/** The `dataset` block of results.json. */
export interface DatasetSummary {
  name: string;
  queries: number;
  docs: number;
  /** Documents the collection or vector file held. */
  collectionDocs: number;
  /** True when --docs picked fewer documents than the collection holds. */
  subset: boolean;
  subsetSeed: number | null;
  judgedDocs: number;
  missingJudgedDocs: number;
  postings: number;
  avgDocNnz: number;
  avgQueryNnz: number;
  docSource: string;
  querySource: string;
  encoder: string | null;
  /** Synthetic distractors among `docs` (--synthetic-docs); everything else is read from real files. */
  syntheticDocs: number;
  /** True when any document is synthetic. */
  synthetic: boolean;
  notes: string[];
}

export interface BenchResults {
  dataset: DatasetSummary;
  k: number;
  encode: { documents: EncodeFigures; queries: EncodeFigures };
  index: IndexFigures;
  runs: {
    algorithm: string;
    mode: string;
    metrics: Metrics;
    latency: { meanMs: number; p50Ms: number; p99Ms: number };
    qps: number;
    runFile: string;
  }[];
  machine: { node: string; cpus: number; platform: string };
  command: string;
}

export const SUBSET_NOTE =
  "Subset: every judged passage of the chosen queries plus a seeded random sample. Scores on a subset are higher than on the full collection and are not comparable with full-collection (leaderboard) scores.";

export function runToJson(r: SearchRunResult, outDir: string): BenchResults["runs"][number] {
  return {
    algorithm: r.algorithm,
    mode: r.mode,
    metrics: r.metrics,
    latency: r.latency,
    qps: r.qps,
    runFile: r.runFile.startsWith(outDir) ? r.runFile.slice(outDir.length + 1) : r.runFile,
  };
}

/** Writes results.json, results.md and plot.svg into `dir`; returns the Markdown. */
export async function writeResults(dir: string, results: BenchResults, plotMetric: keyof Metrics): Promise<string> {
  await writeFile(join(dir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  const markdown = resultsMarkdown(results);
  await writeFile(join(dir, "results.md"), markdown);
  await writeFile(join(dir, "plot.svg"), resultsPlot(results, plotMetric));
  return markdown;
}

export function resultsMarkdown(r: BenchResults): string {
  const d = r.dataset;
  const lines: string[] = [];
  lines.push(`# sparsedb bench msmarco: ${d.name}`, "");
  lines.push(
    `- documents: ${d.docs - d.syntheticDocs} of ${d.collectionDocs} (${d.docSource})${d.subset ? `, subset with seed ${d.subsetSeed}` : ""}` +
      `${d.synthetic ? ` + ${d.syntheticDocs} synthetic distractors` : ""}; ` +
      `${d.judgedDocs} judged${d.missingJudgedDocs > 0 ? `, ${d.missingJudgedDocs} judged passages absent from the collection` : ""}`,
    `- queries: ${d.queries} (${d.querySource}); k = ${r.k}`,
    `- non-zeros: ${fixed(d.avgDocNnz, 1)} per document, ${fixed(d.avgQueryNnz, 1)} per query; ${d.postings} postings`,
    `- encoder: ${d.encoder ?? "none (all vectors from files)"}` +
      (r.encode.documents.texts > 0 ? `; documents ${fixed(r.encode.documents.perSecond, 1)}/s` : "") +
      (r.encode.queries.texts > 0 ? `; queries ${fixed(r.encode.queries.perSecond, 1)}/s` : ""),
    `- index: built in ${fixed(r.index.buildSeconds, 2)} s (${fixed(r.index.postingsPerSecond / 1e6, 2)} M postings/s), ` +
      `${r.index.segmentBytes} bytes on disk, ${fixed(r.index.bytesPerPosting, 2)} bytes per posting in memory (inverted + forward)`,
    `- ${d.synthetic ? `PARTLY SYNTHETIC: ${d.syntheticDocs} of the ${d.docs} documents are synthetic distractors` : "real data only (synthetic: false)"}; single-threaded search, one query at a time, after warm-up; ${r.machine.cpus} cores, Node ${r.machine.node}`,
  );
  for (const note of d.notes) lines.push(`- **${note}**`);
  lines.push("");
  lines.push(
    markdownTable(
      ["algorithm", "mode", "MRR@10", "nDCG@10", "R@100", "R@1000", "MAP@1000", "mean ms", "p50 ms", "p99 ms", "QPS"],
      r.runs.map((x) => [
        x.algorithm,
        x.mode,
        fixed(x.metrics["MRR@10"], 4),
        fixed(x.metrics["nDCG@10"], 4),
        fixed(x.metrics["R@100"], 4),
        fixed(x.metrics["R@1000"], 4),
        fixed(x.metrics["MAP@1000"], 4),
        fixed(x.latency.meanMs, 3),
        fixed(x.latency.p50Ms, 3),
        fixed(x.latency.p99Ms, 3),
        fixed(x.qps, 1),
      ]),
      ["left", "left", "right", "right", "right", "right", "right", "right", "right", "right", "right"],
    ),
  );
  lines.push(`Command: \`${r.command}\``, "");
  return lines.join("\n");
}

export function resultsPlot(r: BenchResults, metric: keyof Metrics): string {
  const byAlgorithm = new Map<string, { x: number; y: number; label: string }[]>();
  for (const run of r.runs) {
    const points = byAlgorithm.get(run.algorithm) ?? [];
    // A sub-microsecond mean would sit at 0 on a log axis; clamp it to the timer's resolution.
    points.push({ x: Math.max(run.latency.meanMs, 1e-3), y: run.metrics[metric], label: run.mode });
    byAlgorithm.set(run.algorithm, points);
  }
  const d = r.dataset;
  return renderLatencyQualityPlot({
    title: `${d.name}: ${metric} against latency`,
    subtitle:
      `${d.docs} docs${d.synthetic ? ` (${d.syntheticDocs} synthetic)` : ""}${d.subset ? " (subset: not comparable with full-collection scores)" : ""}` +
      ` · ${d.queries} queries · k=${r.k} · ${d.synthetic ? "partly synthetic" : "real data"} · 1 thread`,
    xLabel: "mean latency per query (ms, log scale)",
    yLabel: metric,
    series: [...byAlgorithm].map(([name, points]) => ({ name, points })),
  });
}
