import { writeFile } from "node:fs/promises";
import { SparseDbError } from "../../engine/errors.js";
import { calibrate, EXACT_CHOICE, SAMPLE_QUERIES, type ApproximateParams } from "../../engine/search/approximate-calibration.js";
import { checkRecall } from "../../engine/search/approximate-options.js";
import { checkSeismicParams, seismicIndex, type SeismicParams } from "../../engine/search/seismic-index.js";
import { ALGORITHMS, checkAlgorithm, DEFAULT_ALGORITHM, type AlgorithmName } from "../../engine/search/search.js";
import { intOption, parseArgs, summarize } from "../cli-args.js";
import { markdownTable } from "../report/markdown-table.js";
import { writeTrecRun, type RunHit } from "../../engine/eval/trec-run-writer.js";
import { loadDocs, loadQueries } from "./datasets.js";

const USAGE = `usage: npm run bench -- retrieval [options]
  --docs N|FILE[,FILE]  N synthetic documents, or Anserini TSV / JSON-lines vector files (gz or not),
                        concatenated in order [100000]
  --queries N|FILE      N synthetic queries, or a query vector file (e.g. the real MS MARCO dev queries:
                        ../shared/data/splade/msmarco-passage-dev-subset.splade-pp-ed.tsv.gz) [1000]
  --query-limit Q       use the first Q queries
  --k K                 hits per query [10]
  --algorithms LIST     comma-separated, of ${[...ALGORITHMS, "exact", "exact-unrefined", "approx", "seismic"].join(",")} [all but approx, seismic]
                        (each runs over quantized scores; "exact" is what mode "exact" runs: --exact-algorithm
                        in float, ${DEFAULT_ALGORITHM} by default; "approx" is mode "approximate", one result
                        per --recall, named approx@R; "exact-unrefined" is exact without per-document
                        bounds, the exact search before them)
  --recall LIST         requested recalls for approx, comma-separated, in 0.8..0.999 [0.95]
  --calibration-queries N  also run approx-q@R: calibrated from N queries of the query file that follow
                        the ones timed (held apart from them), as a collection calibrates from its
                        recent queries; approx@R calibrates from the documents alone [0: only approx@R]
  --seismic-lambda N    seismic: postings kept per term [0.2% of a segment's documents, at least 256]
  --seismic-block N     seismic: kept postings per block [64]
  --seismic-mass F      seismic: share of a block's summed term maxima its summary keeps [0.5]
  --seismic-cap N       seismic: at most N terms per block summary [64]
  --seismic-cut LIST    seismic: query terms visited, comma-separated; one result per (cut, heap) [12]
  --seismic-heap LIST   seismic: heap factors, comma-separated, in [0, 1] [0.9]
  --exact-algorithm A   the algorithm under "exact" [${DEFAULT_ALGORITHM}]
  --bits B              impact width [8]
  --segments S          split the documents into S segments of consecutive ids, searched and merged
                        as a collection does (one segment's search kernel holds at most 4 GiB) [1]
  --seed S              synthetic data seed [42]
  --warmup W            untimed queries before timing each algorithm [20]
  --json FILE           write the figures as JSON
  --run PREFIX          write one TREC run file per algorithm: PREFIX.<algorithm>.trec`;

interface ResultRow {
  algorithm: string;
  k: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  qps: number;
  recall: number;
  postingsScored: number;
  speedupVsExhaustive: number | null;
  /** Against "exact" in the same run, when it ran. */
  speedupVsExact: number | null;
  /** Mean ms per query by phase, for algorithms that time them (the range search). */
  phases?: { boundsMs: number; collectMs: number; scoreMs: number };
  /** seismic: its parameters, build time and bytes it adds per posting (over all segments). */
  seismic?: { params: SeismicParams; buildMs: number; addedBytesPerPosting: number; docsScored: number };
  /** approx@R: the requested recall, the bound scaling chosen, what the calibration expects, and its cost. */
  approximate?: {
    requestedRecall: number;
    /** The samples: pseudo-queries from the documents, or held-apart real queries. */
    source: "documents" | "queries";
    alpha: number;
    boundMass: number;
    expectedRecall: number;
    calibrationMs: number;
    calibrationSamples: number;
    addedBytesPerPosting: number;
  };
}

/** `npm run bench -- retrieval`: index build, then single-threaded top-k latency per algorithm. */
export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const args = parseArgs(argv, [
    "--docs", "--queries", "--query-limit", "--k", "--algorithms", "--exact-algorithm",
    "--bits", "--seed", "--warmup", "--json", "--run", "--segments", "--recall", "--calibration-queries",
    "--seismic-lambda", "--seismic-block", "--seismic-mass", "--seismic-cap", "--seismic-cut", "--seismic-heap",
  ]);
  const k = intOption(args, "--k", 10, 1);
  const bits = intOption(args, "--bits", 8, 1);
  const seed = intOption(args, "--seed", 42);
  const warmup = intOption(args, "--warmup", 20);
  const limit = args.values.has("--query-limit") ? intOption(args, "--query-limit", 0, 1) : undefined;
  const exactAlgorithm = checkAlgorithm(args.values.get("--exact-algorithm") ?? DEFAULT_ALGORITHM);
  const algorithms = (args.values.get("--algorithms") ?? [...ALGORITHMS, "exact"].join(","))
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  for (const a of algorithms) if (a !== "exact" && a !== "exact-unrefined" && a !== "approx" && a !== "seismic") checkAlgorithm(a);
  if (algorithms.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "--algorithms lists no algorithm");
  const recalls = (args.values.get("--recall") ?? "0.95").split(",").map((r) => checkRecall(Number(r)));
  // Each approx@R is one entry of the list: the loop below runs them like any algorithm.
  const listOf = (flag: string, dflt: string) => (args.values.get(flag) ?? dflt).split(",").map(Number);
  const seismicBuild: SeismicParams = {};
  if (args.values.has("--seismic-lambda")) seismicBuild.lambda = intOption(args, "--seismic-lambda", 0, 1);
  if (args.values.has("--seismic-block")) seismicBuild.blockSize = intOption(args, "--seismic-block", 0, 1);
  if (args.values.has("--seismic-mass")) seismicBuild.summaryMass = Number(args.values.get("--seismic-mass"));
  if (args.values.has("--seismic-cap")) seismicBuild.summaryCap = intOption(args, "--seismic-cap", 0, 1);
  // One seismic result per (query cut, heap factor), named seismic@cut/heap; the index is built once.
  const seismicRuns = new Map<string, SeismicParams>();
  for (const cut of listOf("--seismic-cut", "12")) {
    for (const heap of listOf("--seismic-heap", "0.9")) {
      const p = { ...seismicBuild, queryCut: cut, heapFactor: heap };
      checkSeismicParams(p, 1);
      seismicRuns.set(`seismic@${cut}/${heap}`, p);
    }
  }
  const calibrationCount = intOption(args, "--calibration-queries", 0, 0);
  const approxNames = (r: number) => (calibrationCount > 0 ? [`approx@${r}`, `approx-q@${r}`] : [`approx@${r}`]);
  const entries = algorithms.flatMap((a) => (a === "approx" ? recalls.flatMap(approxNames) : a === "seismic" ? [...seismicRuns.keys()] : [a]));

  const docSpec = args.values.get("--docs") ?? "100000";
  const querySpec = args.values.get("--queries") ?? "1000";
  console.error(`loading documents (${docSpec}) and building the index...`);
  const segments = intOption(args, "--segments", 1, 1);
  const docs = await loadDocs(docSpec, seed, bits, segments);
  const loaded = await loadQueries(querySpec, seed, limit === undefined || calibrationCount === 0 ? limit : limit + calibrationCount);
  // The calibration queries follow the timed ones and are never timed or scored.
  const timedCount = calibrationCount > 0 ? Math.max(0, loaded.vectors.length - calibrationCount) : loaded.vectors.length;
  const queries = { ...loaded, ids: loaded.ids.slice(0, timedCount), vectors: loaded.vectors.slice(0, timedCount) };
  const calibrationQueries = loaded.vectors.slice(timedCount);
  if (calibrationCount > 0 && calibrationQueries.length < calibrationCount) {
    throw new SparseDbError("INVALID_ARGUMENT", `--calibration-queries ${calibrationCount}: the query file holds only ${calibrationQueries.length} queries beyond the ${timedCount} timed`);
  }
  const index = docs.index;
  const memory = index.memory();
  let queryNnz = 0;
  for (const q of queries.vectors) queryNnz += q.nnz;
  const synthetic = docs.synthetic || queries.synthetic;
  const dataset = {
    docs: index.numDocs,
    postings: index.numPostings,
    queries: queries.vectors.length,
    segments,
    synthetic,
    avgDocNnz: index.numDocs > 0 ? index.numPostings / index.numDocs : 0,
    avgQueryNnz: queries.vectors.length > 0 ? queryNnz / queries.vectors.length : 0,
  };
  const indexFigures = {
    buildSeconds: docs.buildSeconds,
    bytes: memory.invertedBytes,
    bytesPerPosting: memory.invertedBytesPerPosting,
    forwardBytes: memory.forwardBytes,
  };
  console.error(
    `${dataset.docs} docs (${synthetic ? "synthetic: true" : "real"}), ${dataset.postings} postings, built in ` +
      `${indexFigures.buildSeconds.toFixed(2)} s (${(dataset.postings / indexFigures.buildSeconds / 1e6).toFixed(1)} M postings/s), ` +
      `${indexFigures.bytesPerPosting.toFixed(3)} bytes/posting; computing the exact float top-k of ${dataset.queries} queries...`,
  );

  const reference = index.reference();
  const truth = queries.vectors.map((q) => new Set(reference.topK(q, k).map((h) => h.doc)));

  // Per (segment, source): the calibration, made on first use as a collection makes it.
  const calibrations = new Map<string, ReturnType<typeof calibrate>>();
  const calibrationOf = (s: (typeof index.segments)[number], fromQueries: boolean) => {
    const key = `${index.segments.indexOf(s)}/${fromQueries}`;
    if (!calibrations.has(key)) calibrations.set(key, calibrate(s, k, SAMPLE_QUERIES, fromQueries ? calibrationQueries : undefined));
    return calibrations.get(key)!;
  };
  const results: ResultRow[] = [];
  for (const name of entries) {
    const fromQueries = name.startsWith("approx-q@");
    const requested = name.startsWith("approx@") || fromQueries ? Number(name.slice(name.indexOf("@") + 1)) : undefined;
    const seismicParams = seismicRuns.get(name);
    const algorithm: AlgorithmName | "seismic" =
      seismicParams !== undefined ? "seismic" : name === "exact" || name === "exact-unrefined" ? exactAlgorithm : requested !== undefined ? "ranges" : (name as AlgorithmName);
    let seismic: ResultRow["seismic"];
    if (seismicParams !== undefined) {
      // The build a segment's first seismic query pays (cached afterwards).
      let buildMs = 0, bytes = 0;
      for (const s of index.segments) {
        const p = checkSeismicParams(seismicParams, s.numDocs);
        const t0 = performance.now();
        const si = seismicIndex(s, { lambda: p.lambda, blockSize: p.blockSize, summaryMass: p.summaryMass, summaryCap: p.summaryCap });
        buildMs += performance.now() - t0;
        bytes += si.byteLength();
      }
      const resolved = checkSeismicParams(seismicParams, index.segments[0]!.numDocs);
      seismic = { params: resolved, buildMs, addedBytesPerPosting: dataset.postings > 0 ? bytes / dataset.postings : 0, docsScored: 0 };
      console.error(`  ${name}: index ready in ${buildMs.toFixed(0)} ms, ${(bytes / 2 ** 20).toFixed(1)} MiB (${seismic.addedBytesPerPosting.toFixed(3)} bytes/posting), params ${JSON.stringify(resolved)}`);
    }
    const exact = name === "exact" || name === "exact-unrefined" || requested !== undefined || seismicParams !== undefined;
    let approximate: ResultRow["approximate"];
    let params: ApproximateParams[] | undefined;
    if (requested !== undefined) {
      // What the first approximate query with this recall pays on a fresh segment (cached afterwards).
      const t0 = performance.now();
      // One calibration per segment, as a collection's snapshot search does; the weakest states the recall.
      const calibrations = index.segments.map((s) => calibrationOf(s, fromQueries));
      const choices = calibrations.map((c) => c?.choose(requested) ?? EXACT_CHOICE);
      params = choices;
      // The truth of the sample queries is paid once per (segment, source); each new recall pays its probes.
      const calibrationMs = performance.now() - t0;
      const samples = calibrations.reduce((n, c) => n + (c?.samples ?? 0), 0);
      const expectedRecall = Math.min(...choices.map((c) => c.expectedRecall));
      approximate = {
        requestedRecall: requested, source: fromQueries ? "queries" : "documents",
        alpha: Math.min(...choices.map((c) => c.alpha)), boundMass: Math.min(...choices.map((c) => c.boundMass)), expectedRecall, calibrationMs, calibrationSamples: samples,
        // The knobs add nothing to the index; the calibration's cache is all it holds.
        addedBytesPerPosting: dataset.postings > 0 ? calibrations.reduce((n, c) => n + (c?.byteLength() ?? 0), 0) / dataset.postings : 0,
      };
      console.error(
        `  ${name}: calibrated in ${calibrationMs.toFixed(0)} ms over ${samples} sample queries: ` +
          `${choices.map((c) => `alpha ${c.alpha} boundMass ${c.boundMass}`).join("; ")}, expected recall ${expectedRecall.toFixed(4)}`,
      );
    }
    // exact-unrefined: the exact search without per-document bounds (range-query.ts), as before them.
    const refineTerms = name === "exact-unrefined" ? 0 : undefined;
    const runOne = (i: number, phases = false) => index.search(queries.vectors[i]!, { k, algorithm, exact, phases, seismic: seismicParams, refineTerms }, params);
    for (let i = 0; i < Math.min(warmup, queries.vectors.length); i++) runOne(i);
    const times: number[] = [];
    const runHits: RunHit[][] = [];
    let recallSum = 0;
    let postings = 0;
    for (let i = 0; i < queries.vectors.length; i++) {
      const t0 = process.hrtime.bigint();
      const r = runOne(i);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      postings += r.postingsScored;
      if (seismic !== undefined) seismic.docsScored += r.candidates / queries.vectors.length;
      const want = truth[i]!;
      let found = 0;
      for (const h of r.hits) if (want.has(h.doc)) found++;
      recallSum += want.size === 0 ? 1 : found / want.size;
      if (args.values.has("--run")) runHits.push(r.hits.map((h) => ({ docId: docs.ids(h.doc), score: h.score })));
    }
    // Phases are timed in a second, separate pass: the clock reads would otherwise slow the first.
    let phases: ResultRow["phases"];
    if (runOne(0, true).phases !== undefined) {
      const sum = { boundsMs: 0, collectMs: 0, scoreMs: 0 };
      for (let i = 0; i < queries.vectors.length; i++) {
        const p = runOne(i, true).phases!;
        sum.boundsMs += p.boundsMs;
        sum.collectMs += p.collectMs;
        sum.scoreMs += p.scoreMs;
      }
      const n = queries.vectors.length;
      phases = { boundsMs: sum.boundsMs / n, collectMs: sum.collectMs / n, scoreMs: sum.scoreMs / n };
    }
    const s = summarize(times);
    const total = times.reduce((a, b) => a + b, 0);
    results.push({
      algorithm: name,
      k,
      meanMs: s.mean,
      p50Ms: s.p50,
      p99Ms: s.p99,
      qps: total > 0 ? (1000 * times.length) / total : 0,
      recall: queries.vectors.length > 0 ? recallSum / queries.vectors.length : 1,
      postingsScored: queries.vectors.length > 0 ? postings / queries.vectors.length : 0,
      speedupVsExhaustive: null,
      speedupVsExact: null,
      ...(phases !== undefined ? { phases } : {}),
      ...(approximate !== undefined ? { approximate } : {}),
      ...(seismic !== undefined ? { seismic } : {}),
    });
    const phaseText = phases === undefined ? "" : ` (bounds ${phases.boundsMs.toFixed(2)}, collect/sort ${phases.collectMs.toFixed(2)}, scoring ${phases.scoreMs.toFixed(2)} ms)`;
    console.error(`  ${name}: mean ${s.mean.toFixed(2)} ms, p50 ${s.p50.toFixed(2)} ms${phaseText}`);
    const prefix = args.values.get("--run");
    if (prefix !== undefined) {
      await writeTrecRun(`${prefix}.${name}.trec`, queries.ids.map((id, i) => [id, runHits[i]!] as const), `sparsedb-${name}`);
    }
  }
  // What is resident after the runs: the range layout, the posting lists if a reference
  // algorithm derived them, and bmp's range-max table if bmp ran.
  const after = index.memory();
  const rangeBytes = algorithms.includes("bmp") ? index.bmpTableBytes() : 0;
  Object.assign(indexFigures, {
    rangeLayoutBytes: after.rangeBytes,
    postingListBytes: after.invertedBytes,
    bmpTableBytes: rangeBytes,
    rangeLayoutBytesPerPosting: dataset.postings > 0 ? after.rangeBytes / dataset.postings : 0,
  });
  indexFigures.bytes = after.rangeBytes + after.invertedBytes + rangeBytes;
  indexFigures.bytesPerPosting = dataset.postings > 0 ? indexFigures.bytes / dataset.postings : 0;
  const base = results.find((r) => r.algorithm === "exhaustive");
  const exactRow = results.find((r) => r.algorithm === "exact");
  for (const r of results) {
    r.speedupVsExhaustive = base !== undefined && r.meanMs > 0 ? base.meanMs / r.meanMs : null;
    r.speedupVsExact = exactRow !== undefined && r.meanMs > 0 ? exactRow.meanMs / r.meanMs : null;
  }

  console.log(
    `\nretrieval: ${dataset.docs} docs, ${dataset.queries} queries, k=${k}, ${bits}-bit impacts` +
      `${synthetic ? " (synthetic: true)" : ""}; one thread, after ${warmup} warm-up queries\n` +
      `index: ${(indexFigures.bytes / 2 ** 20).toFixed(1)} MiB resident (${indexFigures.bytesPerPosting.toFixed(3)} bytes/posting): ` +
      `range layout ${(after.rangeBytes / 2 ** 20).toFixed(1)} MiB (${(after.rangeBytes / Math.max(1, dataset.postings)).toFixed(3)} bytes/posting), ` +
      `posting lists ${(after.invertedBytes / 2 ** 20).toFixed(1)} MiB, bmp range-max table ${(rangeBytes / 2 ** 20).toFixed(1)} MiB; ` +
      `${(indexFigures.forwardBytes / 2 ** 20).toFixed(1)} MiB forward, built in ${indexFigures.buildSeconds.toFixed(2)} s\n`,
  );
  console.log(
    markdownTable(
      ["algorithm", "mean ms", "p50 ms", "p99 ms", "QPS", "recall", "expected recall", "postings scored", "speedup vs exhaustive", "speedup vs exact"],
      results.map((r) => [
        r.algorithm,
        r.meanMs.toFixed(2),
        r.p50Ms.toFixed(2),
        r.p99Ms.toFixed(2),
        r.qps.toFixed(1),
        r.recall.toFixed(4),
        r.approximate === undefined ? "-" : `${r.approximate.expectedRecall.toFixed(4)} (alpha ${r.approximate.alpha}, mass ${r.approximate.boundMass})`,
        Math.round(r.postingsScored),
        r.speedupVsExhaustive === null ? "-" : `${r.speedupVsExhaustive.toFixed(1)}x`,
        r.speedupVsExact === null ? "-" : `${r.speedupVsExact.toFixed(1)}x`,
      ]),
      ["left", "right", "right", "right", "right", "right", "right", "right", "right", "right"],
    ),
  );
  const json = args.values.get("--json");
  if (json !== undefined) {
    await writeFile(json, JSON.stringify({ dataset, index: indexFigures, results }, null, 2) + "\n");
    console.error(`wrote ${json}`);
  }
}
