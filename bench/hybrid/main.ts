import { writeFileSync } from "node:fs";
import { intOption, parseArgs } from "../cli-args.js";
import { hasSharedData, sharedDataPath } from "../readers/shared-data.js";
import { markdownTable } from "../report/markdown-table.js";
import { loadQueries } from "../retrieval/datasets.js";
import { generateDocumentBatch } from "../synthetic/generator.js";
import { defaultQuantization, HNSW_DEFAULTS, type HnswOptions } from "../../engine/dense/hnsw-dense-index.js";
import { SparseDbError } from "../../engine/errors.js";
import { ClusteredDenseGenerator, DEFAULT_CLUSTERS } from "./dense-generator.js";
import { measureDenseLeg } from "./dense-leg.js";
import { measureFusedSearch, type FusedSearchReport } from "./fused-search.js";
import { checkFusion } from "../../engine/dense/fusion.js";

const REAL_QUERIES = "splade/msmarco-passage-dev-subset.splade-pp-ed.tsv.gz";
const USAGE = `usage: npm run bench -- hybrid [--docs N] [--queries FILE|N] [--query-count Q] [--k K] [--seed S]
       [--flat-queries F] [--connectivity M] [--expansion-add E] [--expansion-search E] [--quantization f32|f16|i8]
       [--threads T] [--filters 2,100] [--serialize] [--fused-docs N] [--fusion rrf|dbsf] [--fused-dense-index flat|hnsw]
       [--clusters C] [--candidates 100,200] [--json out.json]
  N synthetic documents (default 1,000,000): sparse vectors from bench/synthetic and 384-d clustered
  dense vectors from bench/hybrid/dense-generator.ts (tied to each document's sparse vector), Q
  queries (default 100: the real MS MARCO dev SPLADE queries when the shared data is there, else
  synthetic ones) with matching synthetic dense queries. Reports the dense leg: HNSW
  (engine/dense/hnsw-dense-index.ts, usearch) recall@K against the exact flat search, latency
  (median, p99) of the flat and the HNSW leg, HNSW build time and memory per document, and the
  same for filters accepting 1 row in each given modulus. Then (--fused-docs, default N; 0 skips)
  the collection-level search: the same documents bulk-loaded into a collection with a dense
  vector, the sparse leg, the dense leg and the fused search per query, and the target "fused <= sum
  of the legs + 10%" (medians).`;

export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const args = parseArgs(
    argv,
    ["--docs", "--queries", "--query-count", "--k", "--seed", "--flat-queries", "--connectivity", "--expansion-add", "--expansion-search", "--quantization", "--threads", "--filters", "--fused-docs", "--fusion", "--fused-dense-index", "--clusters", "--candidates", "--json"],
    ["--serialize"],
  );
  const docs = intOption(args, "--docs", 1_000_000, 1);
  const queryCount = intOption(args, "--query-count", 100, 1);
  const k = intOption(args, "--k", 10, 1);
  const seed = intOption(args, "--seed", 42);
  const flatQueries = intOption(args, "--flat-queries", 20, 1);
  const quantization = args.values.get("--quantization") ?? defaultQuantization("cosine");
  if (quantization !== "f32" && quantization !== "f16" && quantization !== "i8") throw new SparseDbError("INVALID_ARGUMENT", `--quantization must be f32, f16 or i8, got ${quantization}`);
  const hnsw: Partial<HnswOptions> = {
    connectivity: intOption(args, "--connectivity", HNSW_DEFAULTS.connectivity, 2),
    expansionAdd: intOption(args, "--expansion-add", HNSW_DEFAULTS.expansionAdd, 1),
    expansionSearch: intOption(args, "--expansion-search", HNSW_DEFAULTS.expansionSearch, 1),
    quantization,
    threads: intOption(args, "--threads", 2, 0),
  };
  const filterModuli = (args.values.get("--filters") ?? "2,100").split(",").filter((s) => s !== "").map((s) => {
    const m = Number(s);
    if (!Number.isInteger(m) || m < 1) throw new SparseDbError("INVALID_ARGUMENT", `--filters takes moduli (integers >= 1) separated by commas, got ${s}`);
    return m;
  });
  const fusedDocs = intOption(args, "--fused-docs", docs, 0);
  const fusion = checkFusion(args.values.get("--fusion") ?? "rrf", "--fusion");
  const fusedDenseIndex = args.values.get("--fused-dense-index") ?? "flat";
  if (fusedDenseIndex !== "flat" && fusedDenseIndex !== "hnsw") throw new SparseDbError("INVALID_ARGUMENT", `--fused-dense-index must be flat or hnsw, got ${fusedDenseIndex}`);
  const querySpec = args.values.get("--queries") ?? (hasSharedData(REAL_QUERIES) ? sharedDataPath(REAL_QUERIES) : String(queryCount));
  const log = (line: string) => console.error(`[hybrid] ${line}`);

  const gen = new ClusteredDenseGenerator({ seed, clusters: intOption(args, "--clusters", DEFAULT_CLUSTERS, 1) });
  const candidateSweep = (args.values.get("--candidates") ?? "").split(",").filter((x) => x !== "").map((x) => {
    const c = Number(x);
    if (!Number.isInteger(c) || c < 1) throw new SparseDbError("INVALID_ARGUMENT", `--candidates takes integers >= 1 separated by commas, got ${x}`);
    return c;
  });
  const dims = gen.dims;
  const queries = await loadQueries(querySpec, seed, queryCount);
  const denseQueries = queries.vectors.map((q, i) => gen.queryVector(i, q).vector);

  const dense = await denseLegPhase(docs, seed, gen, denseQueries, k, hnsw, flatQueries, args.flags.has("--serialize"), filterModuli, candidateSweep, log);
  const generateSeconds = dense.generateSeconds;
  let fused: FusedSearchReport | undefined;
  if (fusedDocs > 0) fused = await measureFusedSearch({ docs: fusedDocs, seed, gen, sparseQueries: queries.vectors, denseQueries, k, fusion, denseIndex: fusedDenseIndex, log });
  const report = {
    synthetic: true,
    docs,
    dims,
    seed,
    k,
    queries: denseQueries.length,
    realSparseQueries: !queries.synthetic,
    querySpec,
    hnsw: { ...HNSW_DEFAULTS, ...hnsw },
    generateSeconds,
    matrixBytesPerDoc: dims * 4,
    hnswNativeBytesPerDoc: dense.hnswNativeBytes / docs,
    serializedBytesPerDoc: dense.serializedBytes === undefined ? undefined : dense.serializedBytes / docs,
    dense,
    fused,
  };

  const f = (x: number | undefined, d = 0) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : "-");
  console.log(
    `synthetic: true; ${docs} documents x ${dims} dims (cosine, ${gen.clusters} clusters), ${report.queries} ${queries.synthetic ? "synthetic" : "real sparse"} queries (${querySpec}) with synthetic dense queries; ` +
      `hnsw connectivity ${report.hnsw.connectivity}, expansion add ${report.hnsw.expansionAdd} / search ${report.hnsw.expansionSearch}, ${report.hnsw.quantization}, ${report.hnsw.threads} build threads`,
  );
  const rows: string[][] = [
    [`dense HNSW recall@${k} vs flat`, f(dense.hnsw.recall, 4)],
    ["HNSW hit scores equal the flat scores", String(dense.hnsw.scoresEqualFlat)],
    ...dense.candidateSweep.map((c) => [`at minCandidates ${c.minCandidates} (default ${dense.hnsw.minCandidates}): recall@${k} / median / p99 ms`, `${f(c.recall, 4)} / ${f(c.p50Ms, 2)} / ${f(c.p99Ms, 2)}`]),
    [`flat dense leg, ms: median / p99 (${dense.flat.queries} queries)`, `${f(dense.flat.p50Ms, 1)} / ${f(dense.flat.p99Ms, 1)}`],
    [`HNSW dense leg, ms: median / p99 (${dense.hnsw.queries} queries)`, `${f(dense.hnsw.p50Ms, 2)} / ${f(dense.hnsw.p99Ms, 2)}`],
    ["flat median / HNSW median", f(dense.flat.p50Ms / dense.hnsw.p50Ms, 0) + "x"],
    ["HNSW build, s (wall; CPU seconds of all threads)", `${f(dense.buildSeconds, 1)} (${f(dense.buildCpuSeconds, 1)} CPU)`],
    ["HNSW build, documents / s", f(docs / dense.buildSeconds)],
    ["memory per document: float32 matrix, bytes", String(report.matrixBytesPerDoc)],
    ["memory per document: HNSW (RSS growth over the build), bytes", f(report.hnswNativeBytesPerDoc)],
  ];
  if (dense.serializedBytes !== undefined) {
    rows.push(["serialized HNSW section per document, bytes", f(report.serializedBytesPerDoc)]);
    rows.push(["HNSW load from bytes, s (same hits: " + String(dense.loadedEqual) + ")", f(dense.loadSeconds, 2)]);
  }
  for (const fr of dense.filtered) {
    rows.push([`filter ${fr.name} (${f(fr.share * 100, 0)}% of rows): recall@${k} / median / p99 ms / flat fallback`, `${f(fr.recall, 4)} / ${f(fr.hnsw.p50Ms, 2)} / ${f(fr.hnsw.p99Ms, 2)} / ${f(fr.flatFallbackShare * 100, 0)}%`]);
  }
  rows.push(["corpus generation, s", f(generateSeconds, 1)], ["exact truth (blocked flat, all queries), s", f(dense.truthSeconds, 1)]);
  if (fused !== undefined) {
    const ms = (l: { p50Ms: number; p99Ms: number }) => `${f(l.p50Ms, 2)} / ${f(l.p99Ms, 2)}`;
    rows.push(
      [`collection: ${fused.docs} documents bulk-loaded (dense index ${fused.denseIndex}), s`, f(fused.loadSeconds, 1)],
      [`collection: sparse leg (k = prefetch ${fused.prefetch}), ms: median / p99`, ms(fused.sparse)],
      [`collection: dense leg (k = prefetch ${fused.prefetch}), ms: median / p99`, ms(fused.dense)],
      [`collection: fused search (${fused.fusion}, k ${k}, prefetch ${fused.prefetch}), ms: median / p99`, ms(fused.fused)],
      ["fused median / (sparse median + dense median); target <= 1.10", `${f(fused.fusedOverLegs, 3)} (${fused.withinTarget ? "met" : "MISSED"})`],
    );
  }
  console.log(markdownTable(["measure", "value"], rows, ["left", "right"]));
  const json = args.values.get("--json");
  if (json !== undefined) {
    writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
    console.log(`wrote ${json}`);
  }
}

/** Phase 1, in a function of its own so that its 1.5 GB matrix (at 1M) is garbage before phase 2. */
async function denseLegPhase(docs: number, seed: number, gen: ClusteredDenseGenerator, denseQueries: Float32Array[], k: number, hnsw: Partial<HnswOptions>, flatQueries: number, serialize: boolean, filterModuli: number[], candidateSweep: number[], log: (line: string) => void) {
  // The corpus: dense vectors into one matrix (docs x dims); the sparse batches are generated
  // because each document's dense vector follows its sparse vector's cluster. A sparse leg plugs
  // in here (index the batches, then run the sparse, dense and fused searches per query).
  const t = performance.now();
  const dims = gen.dims;
  const matrix = new Float32Array(docs * dims);
  const batchSize = 8192;
  for (let first = 0; first < docs; first += batchSize) {
    const sparse = generateDocumentBatch(first, Math.min(batchSize, docs - first), { seed });
    gen.documentBatch(sparse, matrix.subarray(first * dims));
  }
  const generateSeconds = (performance.now() - t) / 1000;
  log(`generated ${docs} documents in ${generateSeconds.toFixed(1)} s`);

  const { report } = await measureDenseLeg({ matrix, dims, metric: "cosine", queries: denseQueries, k, hnsw, flatQueries, serialize, filterModuli, candidateSweep, log });
  return { ...report, generateSeconds };
}
