import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { SparseDbError } from "../../engine/errors.js";
import type { Vocabulary } from "../../engine/vocabulary.js";
import { readVectors } from "../readers/vectors.js";
import { BERT_TOKENIZER_PATH, loadBertVocabulary } from "../readers/shared-data.js";
import {
  defaultStats,
  termClasses,
  type CorpusStats,
  type NnzModel,
  type SideStats,
  type WeightModel,
} from "./stats.js";

/**
 * Fits CorpusStats from the real SPLADE++ vectors of the shared data folder
 * (../shared/data/README.md):
 *
 * - Query term popularity: for each term, the number of MS MARCO dev query vectors
 *   (splade/msmarco-passage-dev-subset...) that hold it, smoothed (below).
 * - Document term popularity: real document vectors are only 20 (toy/msmarco-20-docs...), all
 *   about one topic, so popularity comes mostly from the ~37k query vectors: half the mass from
 *   the MS MARCO dev queries, half from the BEIR queries (splade/beir-*), plus the toy documents'
 *   postings counted one each. SPLADE expands documents and queries into the same kind of terms
 *   (only 6 of the toy documents' 2900 postings are terms no query vector holds). The half/half
 *   mix is a middle choice: per posting, the toy documents' log-likelihood is -8.90 under BEIR
 *   alone, -9.02 under the mix, -9.44 under MS MARCO dev alone (they are about one topic, so this
 *   is weak evidence), and the mean postings a real MS MARCO dev query touches on 1M synthetic
 *   documents is 2.32M, 3.01M and 3.67M under those three choices.
 * - Smoothing: terms are ranked by count; counts of 5 or more are kept as they are; below that
 *   the rank-frequency curve is replaced by a Zipf power law count = e^a * rank^-s fitted by least
 *   squares on log count vs log rank over the reliable ranks [r0/10, r0], and extended over the
 *   whole vocabulary so that every unseen term keeps some mass in a Zipf-like tail (unseen terms
 *   are ordered by a fixed hash of their id).
 * - Non-zeros per vector: queries: the MS MARCO dev queries' inverse CDF table; documents: a
 *   lognormal whose sigma is the standard deviation of log nnz over the non-empty toy documents.
 * - Weights: terms fall into 3 popularity classes that split the real postings into thirds; per
 *   class, the inverse CDF of the real weights at 65 points (documents: the toy documents' float
 *   weights; queries: the MS MARCO dev weights, repeat count / 1000). In the real data, the rarest
 *   third weighs clearly more (mean 0.59 vs 0.38 for documents, 0.9 vs 0.4 for queries).
 *
 * The built-in fit (default-stats.ts, 2026-11-26, all vectors): 6980 MS MARCO dev queries (306,751
 * postings, nnz mean 43.9, median 41.8), 30,250 BEIR queries (1,891,425 postings), 20 toy
 * documents (2900 postings, nnz mean 152.6 over the 19 non-empty ones, lognormal sigma 0.202).
 * Documents: 648 / 5081 terms carry 50% / 90% of postings, the most popular term ("was") is in
 * 40% of documents at 120 non-zeros; weights p10/p50/p90/max by class (common -> rare):
 * 0.040/0.246/0.852/1.75, 0.043/0.292/1.133/2.20, 0.044/0.310/1.378/2.63. Queries: 527 / 4999
 * terms carry 50% / 90%; weights 0.039/0.255/0.909/3.46, 0.035/0.237/1.142/3.44,
 * 0.040/0.341/2.243/3.57. `npm run bench -- synthetic show` prints these.
 */
export interface FitOptions {
  /** Read at most this many vectors per file (tests use a few hundred; the real fit reads all). */
  limitPerFile?: number;
  /** The vocabulary mapping tokens to term ids (default: the data folder's BERT tokenizer). */
  vocabulary?: Vocabulary;
  /** Progress lines. */
  log?: (line: string) => void;
}

export const MSMARCO_DEV_QUERIES = "splade/msmarco-passage-dev-subset.splade-pp-ed.tsv.gz";
export const TOY_DOCUMENTS = "toy/msmarco-20-docs.splade-pp-ed.jsonl";
const MSMARCO_SCALE = 1000;
const BEIR_SCALE = 100;
const RELIABLE_COUNT = 5;
const WEIGHT_CLASSES = 3;
const WEIGHT_POINTS = 65;
const NNZ_POINTS = 33;

export async function fitStats(dataDir: string, options: FitOptions = {}): Promise<CorpusStats> {
  const log = options.log ?? (() => {});
  const msmarcoPath = join(dataDir, MSMARCO_DEV_QUERIES);
  if (!existsSync(msmarcoPath)) {
    throw new SparseDbError(
      "NOT_FOUND",
      `cannot fit synthetic statistics: ${msmarcoPath} is missing; point SPARSEDB_DATA (or the data argument) at the shared data folder, or use the built-in statistics`,
    );
  }
  const vocabulary = options.vocabulary ?? (await loadBertVocabulary(join(dataDir, BERT_TOKENIZER_PATH)));
  const vocabSize = vocabulary.size;
  const limit = options.limitPerFile;

  const msmarco = new Sample(vocabSize);
  await msmarco.read(msmarcoPath, vocabulary, MSMARCO_SCALE, limit);
  log(`${MSMARCO_DEV_QUERIES}: ${msmarco.vectors} vectors, ${msmarco.postings} postings`);

  const beir = new Sample(vocabSize);
  const beirFiles = readdirSync(join(dataDir, "splade"))
    .filter((f) => f.startsWith("beir-") && f.endsWith(".tsv.gz"))
    .sort();
  for (const f of beirFiles) await beir.read(join(dataDir, "splade", f), vocabulary, BEIR_SCALE, limit, false);
  log(`${beirFiles.length} BEIR files: ${beir.vectors} vectors, ${beir.postings} postings`);

  const toyPath = join(dataDir, TOY_DOCUMENTS);
  const toy = new Sample(vocabSize);
  if (existsSync(toyPath)) await toy.read(toyPath, vocabulary, undefined, limit);
  log(`${TOY_DOCUMENTS}: ${toy.vectors} vectors, ${toy.postings} postings`);

  // Document popularity: half MS MARCO dev, half BEIR (in shares), back in posting units, plus toy.
  const pooled = new Float64Array(vocabSize);
  const queryPostings = msmarco.postings + beir.postings;
  for (let t = 0; t < vocabSize; t++) {
    const share =
      beir.postings > 0
        ? 0.5 * (msmarco.df[t]! / msmarco.postings) + 0.5 * (beir.df[t]! / beir.postings)
        : msmarco.df[t]! / msmarco.postings;
    pooled[t] = share * queryPostings + toy.df[t]!;
  }
  const docShare = smoothShares(pooled);
  const queryShare = smoothShares(msmarco.df);

  const builtIn = toy.postings > 0 ? undefined : defaultStats().documents;
  const documents: SideStats = {
    termShare: docShare,
    nnzMean: builtIn?.nnzMean ?? toy.postings / toy.nonEmptyVectors(),
    nnz: builtIn?.nnz ?? { kind: "lognormal", sigma: toy.logNnzSigma() },
    weights: builtIn?.weights ?? fitWeights(toy, docShare),
  };
  const queries: SideStats = {
    termShare: queryShare,
    nnzMean: msmarco.postings / msmarco.vectors,
    nnz: nnzQuantiles(msmarco.nnzList),
    weights: fitWeights(msmarco, queryShare),
  };
  const limitNote = limit === undefined ? "" : `, at most ${limit} vectors per file`;
  const source =
    `fitted from real SPLADE++ ED vectors: ${msmarco.vectors} MS MARCO dev queries, ${beir.vectors} BEIR queries ` +
    `(${beirFiles.length} files), ${toy.vectors} MS MARCO toy documents${builtIn ? " (absent: built-in document weights)" : ""}${limitNote}`;
  return { vocabSize, source, documents, queries };
}

/** What is read from one side's files: per-term vector counts, nnz per vector, (term, weight) pairs. */
class Sample {
  readonly df: Float64Array;
  vectors = 0;
  postings = 0;
  readonly nnzList: number[] = [];
  terms: number[] = [];
  weights: number[] = [];

  constructor(vocabSize: number) {
    this.df = new Float64Array(vocabSize);
  }

  async read(path: string, vocabulary: Vocabulary, tsvScale: number | undefined, limit: number | undefined, keepWeights = true): Promise<void> {
    const stream = readVectors(path, vocabulary, {
      role: "query",
      ...(tsvScale === undefined ? {} : { tsvScale }),
      ...(limit === undefined ? {} : { limit }),
    });
    for await (const { vector } of stream) {
      this.vectors++;
      this.postings += vector.nnz;
      this.nnzList.push(vector.nnz);
      for (let i = 0; i < vector.nnz; i++) {
        this.df[vector.terms[i]!]! += 1;
        if (keepWeights) {
          this.terms.push(vector.terms[i]!);
          this.weights.push(vector.weights[i]!);
        }
      }
    }
  }

  nonEmptyVectors(): number {
    return this.nnzList.filter((n) => n > 0).length;
  }

  logNnzSigma(): number {
    const logs = this.nnzList.filter((n) => n > 0).map(Math.log);
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    return Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, logs.length - 1));
  }
}

/** Counts -> shares summing to 1, with the Zipf-tail smoothing described above fitStats. */
export function smoothShares(counts: Float64Array): Float64Array {
  const n = counts.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => counts[b]! - counts[a]! || hashId(a) - hashId(b) || a - b,
  );
  let r0 = 0; // the number of reliable ranks
  while (r0 < n && counts[order[r0]!]! >= RELIABLE_COUNT) r0++;
  const smoothed = new Float64Array(n);
  for (let r = 0; r < r0; r++) smoothed[order[r]!] = counts[order[r]!]!;
  if (r0 < n) {
    const { a, s } = fitZipf(counts, order, Math.max(1, Math.floor(r0 / 10)), Math.max(2, r0));
    for (let r = r0; r < n; r++) smoothed[order[r]!] = Math.min(RELIABLE_COUNT, Math.exp(a - s * Math.log(r + 1)));
  }
  let sum = 0;
  for (let t = 0; t < n; t++) sum += smoothed[t]!;
  for (let t = 0; t < n; t++) smoothed[t] = smoothed[t]! / sum;
  return smoothed;
}

/** Least squares of ln count on ln rank over 1-based ranks [from, to] (counts > 0 only). */
function fitZipf(counts: Float64Array, order: number[], from: number, to: number): { a: number; s: number } {
  let sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (let r = from; r <= to && r <= order.length; r++) {
    const c = counts[order[r - 1]!]!;
    if (!(c > 0)) continue;
    const x = Math.log(r);
    const y = Math.log(c);
    sx += x; sy += y; sxx += x * x; sxy += x * y; m++;
  }
  if (m < 2) return { a: 0, s: 1 }; // too little data: a plain 1/rank tail from count 1
  const slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  const s = Math.max(0.5, -slope);
  return { a: (sy + s * sx) / m, s };
}

/** A fixed integer hash: orders tied (mostly unseen) terms without favouring low ids. */
function hashId(x: number): number {
  let z = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  z = Math.imul(z ^ (z >>> 16), 0x45d9f3b);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Popularity classes that split the sample's postings into equal parts, and their weight tables. */
function fitWeights(sample: Sample, share: Float64Array): WeightModel {
  const n = sample.terms.length;
  const byShare = sample.terms.map((t) => share[t]!).sort((a, b) => b - a);
  const classMinShare: number[] = [];
  for (let c = 1; c < WEIGHT_CLASSES; c++) classMinShare.push(byShare[Math.floor((c * n) / WEIGHT_CLASSES) - 1]!);
  const classes = termClasses(share, { classMinShare, quantiles: [] });
  const perClass: number[][] = Array.from({ length: WEIGHT_CLASSES }, () => []);
  for (let i = 0; i < n; i++) perClass[classes[sample.terms[i]!]!]!.push(sample.weights[i]!);
  const quantiles = perClass.map((ws) => inverseCdf(ws, WEIGHT_POINTS).map((w) => roundSignificant(w, 5)));
  return { classMinShare: classMinShare.map((s) => roundSignificant(s, 5)), quantiles };
}

function nnzQuantiles(nnz: number[]): NnzModel {
  const mean = nnz.reduce((a, b) => a + b, 0) / nnz.length;
  let table = inverseCdf(nnz, NNZ_POINTS).map((v) => v / mean);
  // Make the table's own mean (trapezoids) exactly 1, so the target mean nnz is met.
  let tableMean = 0;
  for (let i = 0; i + 1 < table.length; i++) tableMean += (table[i]! + table[i + 1]!) / 2;
  tableMean /= table.length - 1;
  table = table.map((v) => roundSignificant(v / tableMean, 5));
  return { kind: "quantiles", relative: table };
}

/** Order statistics at p = i / (points - 1), interpolated linearly. */
function inverseCdf(values: number[], points: number): number[] {
  if (values.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "no values to fit a distribution to");
  const sorted = Float64Array.from(values).sort();
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const x = (i / (points - 1)) * (sorted.length - 1);
    const j = Math.min(sorted.length - 2, Math.floor(x));
    out.push(sorted.length === 1 ? sorted[0]! : sorted[j]! + (sorted[j + 1]! - sorted[j]!) * (x - j));
  }
  return out;
}

function roundSignificant(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}
