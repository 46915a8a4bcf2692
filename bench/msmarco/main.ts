import { mkdir, readdir, rm } from "node:fs/promises";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import type { Encoder } from "../../encoder/encoder.js";
import { SparseDbError } from "../../engine/errors.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { loadBertVocabulary } from "../readers/shared-data.js";
import { detectVectorFileFormat } from "../readers/vectors.js";
import { encodeDocuments, encodeQueries, encoderConfigFor, openEncoder } from "./encode.js";
import { buildCollection, runFileName, runQueries, type SearchRunResult } from "./index-and-search.js";
import { loadInputs, type BenchItem } from "./inputs.js";
import { parseMsmarcoArgs, USAGE, type MsmarcoOptions } from "./options.js";
import { runToJson, SUBSET_NOTE, writeResults, type BenchResults } from "./output.js";

/**
 * `npm run bench -- msmarco ...`: MS MARCO (or any TREC/BEIR-judged) retrieval benchmark on real
 * files. Reads judgements, queries and documents (vectors or text), takes a subset when asked,
 * encodes text through the encoder, indexes through a real Collection, runs every query once per
 * algorithm and mode, and writes results.json, results.md, TREC run files and plot.svg.
 */
export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const options = parseMsmarcoArgs(argv);
  const results = await runMsmarcoBenchmark(options, `npm run bench -- msmarco ${argv.join(" ")}`);
  if (!options.quiet) {
    console.log(`results in ${options.out}: results.json, results.md, plot.svg, ${results.runs.length} run files`);
  }
}

/** The whole benchmark; returns what it wrote to results.json. */
export async function runMsmarcoBenchmark(options: MsmarcoOptions, command = "bench msmarco"): Promise<BenchResults> {
  const quiet = options.quiet === true;
  const log = (line: string) => {
    if (!quiet) console.error(line);
  };
  await mkdir(options.out, { recursive: true });
  // Run files of an earlier run in the same folder would read as part of this one.
  for (const name of await readdir(options.out)) {
    if (/^run\.[a-z0-9-]+\.(exact|fast)\.trec$/.test(name)) await rm(join(options.out, name));
  }
  const config = encoderConfigFor(options);
  const encoder: Encoder | undefined = config === undefined ? undefined : await openEncoder(config);
  try {
    const vocabulary = () => (encoder !== undefined ? Promise.resolve(encoder.vocabulary) : loadBertVocabulary(options.tokenizer));
    log("reading judgements, queries and documents ...");
    const inputs = await loadInputs(options, vocabulary);
    log(`${inputs.queries.length} queries, ${inputs.docs.length} of ${inputs.collectionSize} documents (${inputs.judgedDocs} judged)`);
    const documentEncoding = await encodeDocuments(inputs.docs, encoder, quiet);
    const queryEncoding = await encodeQueries(inputs.queries, encoder, quiet);
    const docs = withVectors(inputs.docs);
    const queries = withVectors(inputs.queries);

    const indexDir = join(options.out, "index");
    log(`indexing ${docs.length} documents into ${indexDir} ...`);
    const { collection, figures } = await buildCollection(indexDir, docs, options.bits, encoder, quiet);
    const runs: SearchRunResult[] = [];
    try {
      for (const algorithm of options.algorithms) {
        for (const { mode, recall, label } of options.modes) {
          // Approximate mode runs on the range search only.
          if (mode === "approximate" && algorithm !== "ranges" && algorithm !== "ranges-ts") continue;
          const result = await runQueries(collection, queries, inputs.qrels, {
            algorithm,
            mode,
            recall,
            label,
            k: options.k,
            warmup: options.warmup,
            runFile: runFileName(options.out, algorithm, label),
            quiet,
          });
          log(
            `${algorithm.padEnd(10)} ${label.padEnd(5)} MRR@10 ${result.metrics["MRR@10"].toFixed(4)} nDCG@10 ${result.metrics["nDCG@10"].toFixed(4)} ` +
              `R@1000 ${result.metrics["R@1000"].toFixed(4)} mean ${result.latency.meanMs.toFixed(3)} ms`,
          );
          runs.push(result);
        }
      }
    } finally {
      await collection.close();
      if (!options.keepIndex) await rm(indexDir, { recursive: true, force: true });
    }

    const subset = options.docs !== undefined && inputs.docs.length - inputs.syntheticDocs < inputs.collectionSize;
    const notes: string[] = [];
    if (subset) notes.push(SUBSET_NOTE);
    if (inputs.missingJudgedDocs > 0) {
      notes.push(`${inputs.missingJudgedDocs} judged passages are not in the collection: they count as not retrieved.`);
    }
    if (inputs.syntheticDocs > 0) {
      notes.push(
        `${inputs.syntheticDocs} documents are synthetic distractors (bench/synthetic, seed ${options.seed}, calibrated to SPLADE++ statistics): ` +
          "latency is measured on a partly synthetic corpus, and quality counts the real judged documents ranked among synthetic ones.",
      );
    }
    if (inputs.judgedDocs === 0) {
      notes.push("No judged document is in the corpus: the quality figures are 0 by construction and measure nothing; only the speed figures mean something.");
    }
    const vectorFiles = [options.docVectors, options.queryVectors].filter((f): f is string => f !== undefined);
    const formats = await Promise.all(vectorFiles.map(detectVectorFileFormat));
    if (formats.includes("tsv")) {
      notes.push(
        options.tsvScale === undefined
          ? "Anserini TSV vectors are read as raw repeat counts (weight x the file's scale); ranking is scale-invariant, so metrics are unaffected."
          : `Anserini TSV repeat counts are divided by ${options.tsvScale}.`,
      );
    }
    const results: BenchResults = {
      dataset: {
        name: options.name ?? basename(options.qrels).replace(/\.(txt|tsv)(\.gz)?$/, ""),
        queries: queries.length,
        docs: docs.length,
        collectionDocs: inputs.collectionSize,
        subset,
        subsetSeed: subset ? options.seed : null,
        judgedDocs: inputs.judgedDocs,
        missingJudgedDocs: inputs.missingJudgedDocs,
        postings: figures.postings,
        avgDocNnz: averageNnz(docs),
        avgQueryNnz: averageNnz(queries),
        docSource: inputs.docSource,
        querySource: inputs.querySource,
        encoder: encoder?.description ?? null,
        syntheticDocs: inputs.syntheticDocs,
        synthetic: inputs.syntheticDocs > 0,
        notes,
      },
      k: options.k,
      encode: { documents: documentEncoding, queries: queryEncoding },
      index: figures,
      runs: runs.map((r) => runToJson(r, options.out)),
      machine: { node: process.versions.node, cpus: cpus().length, platform: `${process.platform}-${process.arch}` },
      command,
    };
    const markdown = await writeResults(options.out, results, options.plotMetric);
    if (!quiet) console.log(markdown);
    return results;
  } finally {
    await encoder?.close();
  }
}

function withVectors(items: BenchItem[]): { id: string; vector: SparseVector }[] {
  return items.map((item) => {
    if (item.vector === undefined) {
      throw new SparseDbError("INTERNAL", `item ${item.id} has no vector after encoding`);
    }
    return { id: item.id, vector: item.vector };
  });
}

function averageNnz(items: readonly { vector: SparseVector }[]): number {
  if (items.length === 0) return 0;
  let sum = 0;
  for (const item of items) sum += item.vector.nnz;
  return sum / items.length;
}
