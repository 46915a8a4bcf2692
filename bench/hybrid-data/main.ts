import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { intOption, parseArgs } from "../cli-args.js";
import { ClusteredDenseGenerator, DEFAULT_CLUSTERS, DEFAULT_DECAY, DEFAULT_NOISE } from "../hybrid/dense-generator.js";
import { FlatDenseTopK } from "../../engine/dense/flat-dense-search.js";
import { hasSharedData, sharedDataPath } from "../readers/shared-data.js";
import { markdownTable } from "../report/markdown-table.js";
import { loadQueries } from "../retrieval/datasets.js";
import { generateDocumentBatch } from "../synthetic/generator.js";
import { SparseDbError } from "../../engine/errors.js";

const REAL_QUERIES = "splade/msmarco-passage-dev-subset.splade-pp-ed.tsv.gz";
const USAGE = `usage: npm run bench -- hybrid-data [--docs N] [--queries FILE|N] [--truth-queries Q] [--k K] [--seed S]
       [--clusters C] [--noise X] [--query-noise X] [--decay X] [--json out.json]
  Generates N synthetic documents (sparse, bench/synthetic; dense, bench/hybrid/dense-generator.ts),
  streaming, and reports the generator's speed, the clusters, the cosine within and across clusters,
  and the exact (flat) dense top-k of Q queries (default: the real MS MARCO dev queries when the
  shared data is there, else N synthetic ones) with the share of it in each query's cluster.`;

/** Documents kept for the within / across-cluster cosine (evenly spaced over the corpus). */
const SAMPLE = 1000;

export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const args = parseArgs(argv, ["--docs", "--queries", "--truth-queries", "--k", "--seed", "--clusters", "--noise", "--query-noise", "--decay", "--json"]);
  const docs = intOption(args, "--docs", 100_000, 1);
  const truthQueries = intOption(args, "--truth-queries", 100, 1);
  const k = intOption(args, "--k", 10, 1);
  const seed = intOption(args, "--seed", 42);
  const clusters = intOption(args, "--clusters", DEFAULT_CLUSTERS, 1);
  const real = (s: string, fallback: number) => {
    const v = args.values.get(s);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new SparseDbError("INVALID_ARGUMENT", `${s} must be a number >= 0, got ${v}`);
    return n;
  };
  const querySpec = args.values.get("--queries") ?? (hasSharedData(REAL_QUERIES) ? sharedDataPath(REAL_QUERIES) : String(truthQueries));

  const t0 = performance.now();
  const gen = new ClusteredDenseGenerator({ seed, clusters, noise: real("--noise", DEFAULT_NOISE), queryNoise: real("--query-noise", DEFAULT_NOISE), decay: real("--decay", DEFAULT_DECAY) });
  const setupSeconds = (performance.now() - t0) / 1000;
  const queries = await loadQueries(querySpec, seed, truthQueries);
  const queryDense = queries.vectors.map((q, i) => gen.queryVector(i, q));
  const truth = new FlatDenseTopK(queryDense.map((q) => q.vector), gen.dims, k, "cosine");

  const docCluster = new Uint32Array(docs);
  const clusterSize = new Uint32Array(clusters);
  const stride = Math.max(1, Math.floor(docs / SAMPLE));
  const sample: { vector: Float32Array; cluster: number }[] = [];
  let sparseSeconds = 0, denseSeconds = 0, flatSeconds = 0;
  const batchSize = 8192;
  const dense = new Float32Array(batchSize * gen.dims);
  for (let first = 0; first < docs; first += batchSize) {
    let t = performance.now();
    const sparse = generateDocumentBatch(first, Math.min(batchSize, docs - first), { seed });
    sparseSeconds += (performance.now() - t) / 1000;
    t = performance.now();
    const { clusters: batchClusters } = gen.documentBatch(sparse, dense);
    denseSeconds += (performance.now() - t) / 1000;
    t = performance.now();
    truth.add(dense, first, sparse.count);
    flatSeconds += (performance.now() - t) / 1000;
    for (let i = 0; i < sparse.count; i++) {
      const c = batchClusters[i]!;
      docCluster[first + i] = c;
      clusterSize[c]!++;
      if ((first + i) % stride === 0 && sample.length < SAMPLE) sample.push({ vector: dense.slice(i * gen.dims, (i + 1) * gen.dims), cluster: c });
    }
  }

  let within = 0, withinPairs = 0, across = 0, acrossPairs = 0;
  for (let a = 0; a < sample.length; a++) {
    for (let b = a + 1; b < sample.length; b++) {
      let dot = 0;
      const x = sample[a]!.vector, y = sample[b]!.vector;
      for (let j = 0; j < gen.dims; j++) dot += x[j]! * y[j]!;
      if (sample[a]!.cluster === sample[b]!.cluster) (within += dot), withinPairs++;
      else (across += dot), acrossPairs++;
    }
  }
  const hits = truth.results();
  let inCluster = 0, total = 0;
  hits.forEach((h, q) => {
    for (const { row } of h) {
      total++;
      if (docCluster[row] === queryDense[q]!.cluster) inCluster++;
    }
  });
  const sizes = Array.from(clusterSize).sort((a, b) => a - b);
  const used = sizes.filter((s) => s > 0).length;
  const largestShare = sizes.slice(-Math.max(1, Math.ceil(clusters / 100))).reduce((a, b) => a + b, 0) / docs;

  const report = {
    synthetic: true,
    docs,
    dims: gen.dims,
    seed,
    clusters,
    noise: gen.noise,
    queryNoise: gen.queryNoise,
    queries: hits.length,
    realQueries: !queries.synthetic,
    k,
    setupSeconds,
    sparseDocsPerSec: docs / sparseSeconds,
    denseDocsPerSec: docs / denseSeconds,
    flatQueryDocsPerSec: (docs * hits.length) / flatSeconds,
    flatMsPerQuery: (flatSeconds * 1000) / hits.length,
    clustersUsed: used,
    clusterSizeMin: sizes[0]!,
    clusterSizeP50: sizes[Math.floor(sizes.length / 2)]!,
    clusterSizeMax: sizes[sizes.length - 1]!,
    largestPercentOfClustersShare: largestShare,
    meanCosineWithinCluster: withinPairs > 0 ? within / withinPairs : NaN,
    meanCosineAcrossClusters: acrossPairs > 0 ? across / acrossPairs : NaN,
    sampledPairs: withinPairs + acrossPairs,
    queryClusters: new Set(queryDense.map((q) => q.cluster)).size,
    truthInQueryCluster: total > 0 ? inCluster / total : NaN,
  };
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  console.log(
    `synthetic: true; ${docs} documents x ${gen.dims} dims, ${clusters} clusters (noise ${gen.noise}, query noise ${gen.queryNoise}), seed ${seed}; ` +
      `${hits.length} ${queries.synthetic ? "synthetic" : "real"} queries (${querySpec})`,
  );
  console.log(
    markdownTable(
      ["measure", "value"],
      [
        ["sparse documents generated / s", f(report.sparseDocsPerSec)],
        ["dense vectors generated / s", f(report.denseDocsPerSec)],
        ["flat top-k: query x documents / s", f(report.flatQueryDocsPerSec)],
        [`flat top-${k}: ms per query over all documents`, f(report.flatMsPerQuery, 1)],
        ["clusters used", `${used} of ${clusters}`],
        ["documents per cluster: min / p50 / max", `${report.clusterSizeMin} / ${report.clusterSizeP50} / ${report.clusterSizeMax}`],
        ["share of documents in the largest 1% of clusters", f(largestShare * 100, 1) + "%"],
        ["mean cosine, documents of one cluster", f(report.meanCosineWithinCluster, 3)],
        ["mean cosine, documents of two clusters", f(report.meanCosineAcrossClusters, 3)],
        ["distinct clusters among the queries", String(report.queryClusters)],
        [`share of each query's flat top-${k} in its cluster`, f(report.truthInQueryCluster * 100, 1) + "%"],
      ],
      ["left", "right"],
    ),
  );
  const json = args.values.get("--json");
  if (json !== undefined) {
    writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
    console.log(`wrote ${json}`);
  }
}

// Also runnable on its own: node dist/bench/hybrid-data/main.js [options]
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
