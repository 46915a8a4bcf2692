import { SparseDbError } from "../../engine/errors.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { AliasTable } from "./alias-table.js";
import { Sfc32 } from "./prng.js";
import { defaultStats, termClasses, type CorpusStats, type SideStats } from "./stats.js";

/**
 * The synthetic SPLADE corpus: documents and queries drawn from CorpusStats, a pure function of
 * the seed. Each vector has its own PRNG stream (seed, index), so any range of documents can be
 * generated alone (in batches, in parallel) and is identical to the same range of a full run.
 *
 * Per vector: nnz from the fitted nnz model scaled to the target mean; distinct terms drawn by
 * popularity (alias table, duplicates rejected); each term's weight drawn from its popularity
 * class's weight table. Documents' weights are all > 0.
 */
export interface SyntheticOptions {
  seed: number;
  /** Default: the built-in statistics (defaultStats()). */
  stats?: CorpusStats;
  /** Target mean non-zeros per vector. Default: 120 for documents, the fitted queries' mean (~44) for queries. */
  avgNnz?: number;
}

/** A range of documents in flat arrays: document i's postings are [docOffsets[i], docOffsets[i + 1]). */
export interface DocumentBatch {
  firstDoc: number;
  count: number;
  /** count + 1 offsets into terms/weights. */
  docOffsets: Uint32Array;
  /** Term ids, strictly increasing within each document. */
  terms: Uint32Array;
  weights: Float32Array;
}

export const DEFAULT_DOCUMENT_NNZ = 120;
/** Query streams live above every document index, so queries never repeat documents. */
const QUERY_STREAM_BASE = 2 ** 40;
/** A term is never given more than this inclusion probability per vector. */
const MAX_INCLUSION = 0.95;

/** Documents [0, count) one by one (see generateDocumentBatch for the fast path). */
export function* generateDocuments(count: number, options: SyntheticOptions): Generator<SparseVector> {
  checkCount(count, "count");
  const step = 4096;
  for (let first = 0; first < count; first += step) {
    const batch = generateDocumentBatch(first, Math.min(step, count - first), options);
    for (let i = 0; i < batch.count; i++) yield batchVector(batch, i);
  }
}

/** Documents [firstDoc, firstDoc + count) in flat typed arrays. */
export function generateDocumentBatch(firstDoc: number, count: number, options: SyntheticOptions): DocumentBatch {
  checkCount(firstDoc, "firstDoc");
  checkCount(count, "count");
  const sampler = samplerFor(options, "documents");
  const rng = new Sfc32(options.seed);
  const docOffsets = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) {
    rng.reseed(options.seed, firstDoc + i);
    docOffsets[i + 1] = docOffsets[i]! + sampler.drawNnz(rng);
  }
  const total = docOffsets[count]!;
  const terms = new Uint32Array(total);
  const weights = new Float32Array(total);
  for (let i = 0; i < count; i++) {
    rng.reseed(options.seed, firstDoc + i);
    sampler.drawNnz(rng); // the same draw as above, to keep the stream in step
    sampler.fill(rng, terms, weights, docOffsets[i]!, docOffsets[i + 1]!);
  }
  return { firstDoc, count, docOffsets, terms, weights };
}

/** Document i of a batch as a SparseVector (views into the batch's arrays, no copy). */
export function batchVector(batch: DocumentBatch, i: number): SparseVector {
  const from = batch.docOffsets[i]!;
  const to = batch.docOffsets[i + 1]!;
  return SparseVector.fromArrays(batch.terms.subarray(from, to), batch.weights.subarray(from, to));
}

/** `count` synthetic queries (about 44 non-zeros each by default). */
export function generateQueries(count: number, options: SyntheticOptions): SparseVector[] {
  checkCount(count, "count");
  const sampler = samplerFor(options, "queries");
  const rng = new Sfc32(options.seed);
  const out: SparseVector[] = [];
  for (let q = 0; q < count; q++) {
    rng.reseed(options.seed, QUERY_STREAM_BASE + q);
    const nnz = sampler.drawNnz(rng);
    const terms = new Uint32Array(nnz);
    const weights = new Float32Array(nnz);
    sampler.fill(rng, terms, weights, 0, nnz);
    out.push(SparseVector.fromArrays(terms, weights, { role: "query", vocabSize: sampler.vocabSize }));
  }
  return out;
}

/**
 * The expected fraction of documents holding each term (a synthetic corpus of N documents has
 * about N * this as the term's document frequency).
 */
export function expectedDocumentFrequency(options: Omit<SyntheticOptions, "seed">): Float64Array {
  const s = samplerFor({ seed: 0, ...options }, "documents");
  return Float64Array.from(s.inclusion);
}

/** Draws vectors of one side (documents or queries). Built once per (stats, side, avgNnz). */
class VectorSampler {
  readonly vocabSize: number;
  /** Per term: the target probability that a vector holds it. */
  readonly inclusion: Float64Array;
  private readonly avgNnz: number;
  private readonly maxNnz: number;
  private readonly side: SideStats;
  private readonly terms: AliasTable;
  /** Every popularity class's weight table, one after the other (each weightSteps + 1 long). */
  private readonly weightTables: Float64Array;
  private readonly weightSteps: number;
  /** Per term: where its class's table starts in weightTables. */
  private readonly weightTableOf: Uint32Array;
  /** A bit per term, and a bit per 32-bit word of termBits: all zero between vectors. */
  private readonly termBits: Uint32Array;
  private readonly wordBits: Uint32Array;

  constructor(side: SideStats, avgNnz: number) {
    this.side = side;
    this.avgNnz = avgNnz;
    this.vocabSize = side.termShare.length;
    this.inclusion = new Float64Array(this.vocabSize);
    // Drawing n terms without replacement, term t is held with probability about
    // 1 - exp(-lambda * w[t]): weights -ln(1 - p) make that about p.
    const drawWeights = new Float64Array(this.vocabSize);
    for (let t = 0; t < this.vocabSize; t++) {
      const p = Math.min(MAX_INCLUSION, avgNnz * side.termShare[t]!);
      this.inclusion[t] = p;
      drawWeights[t] = -Math.log1p(-p);
    }
    this.terms = new AliasTable(drawWeights);
    // Rejection sampling needs enough distinct drawable terms; a quarter of them keeps it fast.
    this.maxNnz = Math.max(1, Math.floor(drawWeights.filter((w) => w > 0).length / 4));
    const tables = side.weights.quantiles;
    const points = tables[0]?.length ?? 0;
    if (points < 2 || tables.some((q) => q.length !== points)) {
      throw new SparseDbError("INVALID_ARGUMENT", "weight tables must all have the same length, at least 2; refit the statistics");
    }
    if (tables.some((q) => q.some((w) => !(Number.isFinite(w) && w > 0)))) {
      throw new SparseDbError("INVALID_ARGUMENT", "weight tables must hold finite weights > 0 (a zero weight is no posting); refit the statistics");
    }
    this.weightSteps = points - 1;
    this.weightTables = Float64Array.from(tables.flat());
    const classOf = termClasses(side.termShare, side.weights);
    this.weightTableOf = Uint32Array.from(classOf, (c) => c * points);
    this.termBits = new Uint32Array(Math.ceil(this.vocabSize / 32));
    this.wordBits = new Uint32Array(Math.ceil(this.termBits.length / 32));
  }

  drawNnz(rng: Sfc32): number {
    const model = this.side.nnz;
    let n: number;
    if (model.kind === "lognormal") {
      const sigma = model.sigma;
      n = this.avgNnz * Math.exp(sigma * rng.nextNormal() - (sigma * sigma) / 2);
    } else {
      const table = model.relative;
      const x = rng.nextFloat() * (table.length - 1);
      const i = x | 0;
      n = this.avgNnz * (table[i]! + (table[i + 1]! - table[i]!) * (x - i));
    }
    return Math.max(1, Math.min(Math.round(n), this.maxNnz));
  }

  /**
   * Fills [from, to) with distinct terms, sorted, and their weights. Drawn terms are marked in a
   * two-level bitset (a bit per term; a summary bit per 32-term word), which rejects duplicates
   * and then yields the terms in increasing order while clearing itself: several times faster
   * than sorting each vector's ~120 terms.
   */
  fill(rng: Sfc32, terms: Uint32Array, weights: Float32Array, from: number, to: number): void {
    const bits = this.termBits;
    const summary = this.wordBits;
    const alias = this.terms;
    for (let drawn = from; drawn < to; ) {
      const t = alias.sample(rng.nextUint32());
      const word = t >>> 5;
      const bit = 1 << (t & 31);
      if ((bits[word]! & bit) !== 0) continue;
      bits[word] = bits[word]! | bit;
      summary[word >>> 5] = summary[word >>> 5]! | (1 << (word & 31));
      drawn++;
    }
    let at = from;
    for (let s = 0; s < summary.length; s++) {
      let words = summary[s]! | 0;
      if (words === 0) continue;
      summary[s] = 0;
      while (words !== 0) {
        const lowWord = words & -words;
        words ^= lowWord;
        const w = (s << 5) | (31 - Math.clz32(lowWord));
        let set = bits[w]! | 0;
        bits[w] = 0;
        while (set !== 0) {
          const low = set & -set;
          set ^= low;
          terms[at++] = (w << 5) | (31 - Math.clz32(low));
        }
      }
    }
    const tableOf = this.weightTableOf;
    const tables = this.weightTables;
    const steps = this.weightSteps;
    for (let i = from; i < to; i++) {
      const x = rng.nextFloat() * steps;
      const j = x | 0;
      const k = tableOf[terms[i]!]! + j;
      weights[i] = tables[k]! + (tables[k + 1]! - tables[k]!) * (x - j);
    }
  }
}

const samplers = new WeakMap<CorpusStats, Map<string, VectorSampler>>();

function samplerFor(options: SyntheticOptions, side: "documents" | "queries"): VectorSampler {
  if (!Number.isSafeInteger(options.seed)) {
    throw new SparseDbError("INVALID_ARGUMENT", `seed must be an integer, got ${String(options.seed)}`);
  }
  const stats = options.stats ?? defaultStats();
  const avgNnz = options.avgNnz ?? (side === "documents" ? DEFAULT_DOCUMENT_NNZ : stats.queries.nnzMean);
  if (!(Number.isFinite(avgNnz) && avgNnz >= 1 && avgNnz <= stats.vocabSize / 8)) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `avgNnz must be between 1 and ${stats.vocabSize / 8} (an eighth of the vocabulary), got ${String(avgNnz)}`,
    );
  }
  let bySide = samplers.get(stats);
  if (bySide === undefined) samplers.set(stats, (bySide = new Map()));
  const key = `${side}:${avgNnz}`;
  let sampler = bySide.get(key);
  if (sampler === undefined) bySide.set(key, (sampler = new VectorSampler(stats[side], avgNnz)));
  return sampler;
}

function checkCount(n: number, name: string): void {
  if (!(Number.isSafeInteger(n) && n >= 0)) {
    throw new SparseDbError("INVALID_ARGUMENT", `${name} must be a non-negative integer, got ${String(n)}`);
  }
}
