import { writeFile } from "node:fs/promises";
import { SparseDbError } from "../../engine/errors.js";
import { calibrate, type ApproximateParams } from "../../engine/search/approximate-calibration.js";
import type { SampleFamily } from "../../engine/search/calibration-samples.js";
import { intOption, parseArgs } from "../cli-args.js";
import { markdownTable } from "../report/markdown-table.js";
import { loadDocs, loadQueries } from "../retrieval/datasets.js";

const FAMILIES: readonly SampleFamily[] = ["top", "shaped", "shaped-idf"];

const USAGE = `usage: npm run bench -- calibration [options]
  How well each pseudo-query family (engine/search/calibration-samples.ts) predicts the recall real
  queries get, over a grid of approximate settings (alpha, boundMass), on one segment.
  --docs N|FILE[,FILE]  N synthetic documents or vector files, as bench retrieval [100000]
  --queries FILE        real query vectors (their recall is the reference)
  --query-limit Q       real queries measured [400]
  --samples S           pseudo-queries per family [200]
  --families LIST       of ${FAMILIES.join(",")} [all]
  --k K                 [10]
  --seed S              synthetic data seed [42]
  --json FILE           write the figures as JSON`;

/** The settings compared: bound scaling alone, and pruning levels each with a few alphas. */
const GRID: ApproximateParams[] = [
  { alpha: 0.8, boundMass: 1 }, { alpha: 0.9, boundMass: 1 },
  ...[0.9, 0.8, 0.7, 0.6].flatMap((boundMass) => [1, 1.1, 1.2].map((alpha) => ({ alpha, boundMass }))),
];

export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const args = parseArgs(argv, ["--docs", "--queries", "--query-limit", "--samples", "--families", "--k", "--seed", "--json"]);
  const k = intOption(args, "--k", 10, 1);
  const seed = intOption(args, "--seed", 42);
  const samples = intOption(args, "--samples", 200, 1);
  const limit = intOption(args, "--query-limit", 400, 1);
  const families = (args.values.get("--families") ?? FAMILIES.join(",")).split(",").filter((f) => f.length > 0) as SampleFamily[];
  for (const f of families) if (!FAMILIES.includes(f)) throw new SparseDbError("INVALID_ARGUMENT", `--families: unknown family ${f}; choose of ${FAMILIES.join(", ")}`);
  const querySpec = args.values.get("--queries");
  if (querySpec === undefined) throw new SparseDbError("INVALID_ARGUMENT", "--queries FILE is required: real queries are the reference");
  const docs = await loadDocs(args.values.get("--docs") ?? "100000", seed, 8, 1);
  const index = docs.index.segments[0]!;
  const queries = await loadQueries(querySpec, seed, limit);
  console.error(`${index.numDocs} docs (${docs.synthetic ? "synthetic: true" : "real"}), ${queries.vectors.length} real queries`);
  const t0 = performance.now();
  const real = calibrate(index, k, queries.vectors.length, queries.vectors)!;
  const sources = [{ name: "real", c: real }];
  for (const f of families) sources.push({ name: f, c: calibrate(index, k, samples, undefined, f)! });
  console.error(`truth of every sample in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const rows = GRID.map((p) => {
    const r = Object.fromEntries(sources.map(({ name, c }) => [name, c.measure(p)]));
    return { ...p, measured: r };
  });
  console.log(
    markdownTable(
      ["alpha, m", "real mean", ...families.flatMap((f) => [`${f} mean`, `${f} lower - real`])],
      rows.map((row) => [
        `${row.alpha}, ${row.boundMass}`,
        row.measured.real!.mean.toFixed(4),
        ...families.flatMap((f) => [row.measured[f]!.mean.toFixed(4), (row.measured[f]!.lower - row.measured.real!.mean).toFixed(4)]),
      ]),
      ["left", "right", ...families.flatMap(() => ["right", "right"] as const)],
    ),
  );
  const json = args.values.get("--json");
  if (json !== undefined) await writeFile(json, JSON.stringify({ docs: index.numDocs, synthetic: docs.synthetic, queries: queries.vectors.length, samples, rows }, null, 2) + "\n");
}
