import { SparseDbError } from "../errors.js";
import type { SegmentIndex } from "../index/segment-index.js";
import type { SparseVector } from "../sparse-vector.js";
import type { DocFilter } from "./algorithm.js";
import { TopKCollector, type DocHit } from "./top-k.js";

/**
 * A Seismic-style approximate index of one segment (Bruch et al., "Efficient Inverted Indexes for
 * Approximate Retrieval over Learned Sparse Representations", SIGIR 2024), built from the
 * segment's forward index:
 *
 * - each term's posting list is cut to its `lambda` heaviest postings (ties at the cut go to the
 *   lower doc ids); found with a 256-bin histogram of weight / term max, so the build makes three
 *   passes over the forward index and never materializes the full inverted lists;
 * - the kept postings, in doc id order, are cut into blocks of `blockSize` consecutive entries
 *   (no clustering: on independent synthetic documents it finds nothing, see BENCHMARKS.md);
 * - each block has a summary: per term of its documents' kept postings the max weight, kept for the heaviest
 *   terms until `summaryMass` of the summed maxima (at most `summaryCap` terms), quantized to u8
 *   with one float scale per block. Summaries are estimates, not bounds (cut and rounded down).
 *
 * Search: only the `queryCut` heaviest query terms are visited; a term's blocks are visited in
 * decreasing summary score and the rest skipped once a summary score falls below `heapFactor` x
 * the current k-th score (heapFactor 0: nothing skipped). Each document of a visited block is
 * scored exactly, with the forward index's float dot product over the whole query (so every
 * returned score is the true one), once per query. The result is approximate only in which
 * documents it finds. Kept doc ids (4 bytes each) and summaries (3 bytes an entry + 8 per block)
 * are what it adds; byteLength() reports it.
 */
export interface SeismicBuildParams {
  /** Postings kept per term; default scales with the segment (0.2% of its documents, at least 256). */
  lambda?: number;
  /** Kept postings per block [64]. */
  blockSize?: number;
  /** Share of a block's summed term maxima its summary keeps [0.5]. */
  summaryMass?: number;
  /** At most this many terms per summary [64]. */
  summaryCap?: number;
}

export interface SeismicQueryParams {
  /** Query terms visited, heaviest first [12]. */
  queryCut?: number;
  /** Skip a block whose summary score is below heapFactor x the k-th score; 0 skips nothing [0.9]. */
  heapFactor?: number;
}

export type SeismicParams = SeismicBuildParams & SeismicQueryParams;

export interface SeismicResult {
  hits: DocHit[];
  /** Documents scored from the forward index. */
  docsScored: number;
  /** Forward-index entries read while scoring them (the work measure). */
  postingsScored: number;
  blocksVisited: number;
}

const BINS = 256;

export function defaultLambda(numDocs: number): number {
  return Math.max(256, Math.ceil(numDocs * 0.002));
}

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new SparseDbError("INVALID_ARGUMENT", `seismic ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function fraction(name: string, v: unknown, dflt: number, allowZero: boolean): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !(v <= 1 && (allowZero ? v >= 0 : v > 0))) {
    throw new SparseDbError("INVALID_ARGUMENT", `seismic ${name} must be a number in ${allowZero ? "[0" : "(0"}, 1], got ${String(v)}`);
  }
  return v;
}

export function checkSeismicParams(p: SeismicParams | undefined, numDocs: number): Required<SeismicParams> {
  return {
    lambda: positiveInt("lambda", p?.lambda, defaultLambda(numDocs)),
    blockSize: positiveInt("blockSize", p?.blockSize, 64),
    summaryMass: fraction("summaryMass", p?.summaryMass, 0.5, false),
    summaryCap: positiveInt("summaryCap", p?.summaryCap, 64),
    queryCut: positiveInt("queryCut", p?.queryCut, 12),
    heapFactor: fraction("heapFactor", p?.heapFactor, 0.9, true),
  };
}

export class SeismicIndex {
  /** Term t's blocks are [termBlockStart[t], termBlockStart[t+1]). */
  readonly termBlockStart: Uint32Array;
  /** Block b's documents are blockDocs[blockDocStart[b] .. blockDocStart[b+1]). */
  readonly blockDocStart: Uint32Array;
  readonly blockDocs: Uint32Array;
  /** Block b's summary entries are [summaryStart[b], summaryStart[b+1]): term and u8 level x summaryScale[b]. */
  readonly summaryStart: Uint32Array;
  readonly summaryTerms: Uint16Array | Uint32Array;
  readonly summaryLevels: Uint8Array;
  readonly summaryScale: Float32Array;
  readonly buildMs: number;
  private seen: Uint32Array;
  private stamp = 0;
  private dense: Float64Array;

  constructor(readonly index: SegmentIndex, readonly params: Required<SeismicBuildParams>) {
    const t0 = performance.now();
    const { docStart, terms, weights } = index.forward;
    const numTerms = index.numTerms, numDocs = index.numDocs, nPost = terms.length;
    const { lambda, blockSize, summaryMass, summaryCap } = params;

    // Pass 1: per-term max weight and document frequency.
    const maxW = new Float32Array(numTerms);
    const df = new Uint32Array(numTerms);
    for (let i = 0; i < nPost; i++) {
      const t = terms[i]!, w = weights[i]!;
      df[t]!++;
      if (w > maxW[t]!) maxW[t] = w;
    }
    // Pass 2: for terms with df > lambda, a histogram of weight / max to find the cut bin.
    const long: number[] = [];
    const histRow = new Int32Array(numTerms).fill(-1);
    for (let t = 0; t < numTerms; t++) if (df[t]! > lambda) histRow[t] = long.push(t) - 1;
    const hist = new Uint32Array(long.length * BINS);
    const binScale = new Float32Array(numTerms);
    for (let t = 0; t < numTerms; t++) binScale[t] = maxW[t]! > 0 ? BINS / maxW[t]! : 0;
    const binOf = (t: number, w: number) => Math.min(BINS - 1, Math.max(0, Math.floor(w * binScale[t]!)));
    if (long.length > 0) {
      for (let i = 0; i < nPost; i++) {
        const t = terms[i]!, r = histRow[t]!;
        if (r >= 0) hist[r * BINS + binOf(t, weights[i]!)]!++;
      }
    }
    // cutBin: postings in higher bins are all kept, in cutBin the first `atCut` (doc order).
    const cutBin = new Int32Array(numTerms); // 0 with atCut = df for short lists: keep all
    const atCut = new Uint32Array(numTerms);
    const kept = new Uint32Array(numTerms);
    for (let t = 0; t < numTerms; t++) {
      kept[t] = Math.min(df[t]!, lambda);
      atCut[t] = df[t]!;
      const r = histRow[t]!;
      if (r < 0) continue;
      let acc = 0, b = BINS - 1;
      for (; b >= 0; b--) {
        const c = hist[r * BINS + b]!;
        if (acc + c >= lambda) break;
        acc += c;
      }
      cutBin[t] = b;
      atCut[t] = lambda - acc;
    }
    // Pass 3: the kept postings, per term in doc id order, and the same postings per document.
    const termStart = new Uint32Array(numTerms + 1);
    for (let t = 0; t < numTerms; t++) termStart[t + 1] = termStart[t]! + kept[t]!;
    const nKept = termStart[numTerms]!;
    const keptDocs = new Uint32Array(nKept);
    const fill = termStart.slice(0, numTerms);
    const docKeptStart = new Uint32Array(numDocs + 1);
    for (let d = 0; d < numDocs; d++) {
      for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
        const t = terms[i]!;
        if (histRow[t]! >= 0) {
          const b = binOf(t, weights[i]!);
          if (b < cutBin[t]!) continue;
          if (b === cutBin[t]!) {
            if (atCut[t] === 0) continue;
            atCut[t]!--;
          }
        }
        keptDocs[fill[t]!++] = d;
        docKeptStart[d + 1]!++;
      }
    }
    for (let d = 0; d < numDocs; d++) docKeptStart[d + 1]! += docKeptStart[d]!;
    // Each document's kept (term, weight) pairs: the summaries are built from these, not from the
    // whole forward index, since a block summary keeps only its heaviest terms anyway (and the
    // heavy postings are the kept ones); it makes the build ~nnz/kept-per-doc times cheaper.
    const docKeptTerms = new Uint32Array(nKept);
    const docKeptW = new Float32Array(nKept);
    {
      const dfill = docKeptStart.slice(0, numDocs);
      const cursor = docStart.slice(0, numDocs);
      for (let t = 0; t < numTerms; t++) {
        for (let j = termStart[t]!, e = termStart[t + 1]!; j < e; j++) {
          const d = keptDocs[j]!;
          // Find the doc's entry for t: its terms increase and t is visited in increasing order.
          let i = cursor[d]!;
          while (terms[i]! !== t) i++;
          cursor[d] = i + 1;
          docKeptTerms[dfill[d]!] = t;
          docKeptW[dfill[d]!++] = weights[i]!;
        }
      }
    }
    // Blocks and their summaries.
    this.termBlockStart = new Uint32Array(numTerms + 1);
    for (let t = 0; t < numTerms; t++) this.termBlockStart[t + 1] = this.termBlockStart[t]! + Math.ceil(kept[t]! / blockSize);
    const numBlocks = this.termBlockStart[numTerms]!;
    this.blockDocStart = new Uint32Array(numBlocks + 1);
    this.blockDocs = keptDocs;
    this.summaryStart = new Uint32Array(numBlocks + 1);
    this.summaryScale = new Float32Array(numBlocks);
    let sumTerms = new Uint32Array(Math.max(16, numBlocks * 8));
    let sumLevels = new Uint8Array(sumTerms.length);
    let nSum = 0;
    const scratch = new Float32Array(numTerms);
    const touched = new Uint32Array(numTerms);
    const heap = new MinHeap(summaryCap);
    let b = 0;
    for (let t = 0; t < numTerms; t++) {
      for (let s = termStart[t]!, e = termStart[t + 1]!; s < e; s += blockSize, b++) {
        const end = Math.min(e, s + blockSize);
        this.blockDocStart[b + 1] = end;
        let nt = 0, total = 0;
        for (let j = s; j < end; j++) {
          const d = keptDocs[j]!;
          for (let i = docKeptStart[d]!, ie = docKeptStart[d + 1]!; i < ie; i++) {
            const u = docKeptTerms[i]!, w = docKeptW[i]!;
            const old = scratch[u]!;
            if (old === 0) touched[nt++] = u;
            if (w > old) {
              scratch[u] = w;
              total += w - old;
            }
          }
        }
        // The summaryCap heaviest, then cut to summaryMass of the total.
        heap.clear();
        for (let j = 0; j < nt; j++) {
          const u = touched[j]!;
          heap.push(u, scratch[u]!);
        }
        const order = heap.drainDescending();
        const top = order.length > 0 ? scratch[order[0]!]! : 0;
        const scale = top > 0 ? top / 255 : 1;
        this.summaryScale[b] = scale;
        if (nSum + order.length > sumTerms.length) {
          const grow = (n: number) => Math.max(n, sumTerms.length * 2);
          const nt2 = new Uint32Array(grow(nSum + order.length));
          nt2.set(sumTerms.subarray(0, nSum));
          sumTerms = nt2;
          const nl2 = new Uint8Array(nt2.length);
          nl2.set(sumLevels.subarray(0, nSum));
          sumLevels = nl2;
        }
        let mass = 0;
        for (let j = 0; j < order.length && mass < summaryMass * total; j++) {
          const u = order[j]!, w = scratch[u]!;
          if (w <= 0) break;
          mass += w;
          sumTerms[nSum] = u;
          // Rounded to nearest: an estimate, not a bound.
          sumLevels[nSum++] = Math.min(255, Math.round(w / scale));
        }
        this.summaryStart[b + 1] = nSum;
        for (let j = 0; j < nt; j++) scratch[touched[j]!] = 0;
      }
    }
    this.blockDocStart[0] = 0;
    this.summaryTerms = numTerms <= 0x10000 ? Uint16Array.from(sumTerms.subarray(0, nSum)) : sumTerms.slice(0, nSum);
    this.summaryLevels = sumLevels.slice(0, nSum);
    this.seen = new Uint32Array(numDocs);
    this.dense = new Float64Array(numTerms);
    this.buildMs = performance.now() - t0;
  }

  get numBlocks(): number {
    return this.summaryScale.length;
  }

  byteLength(): number {
    return (
      this.termBlockStart.byteLength + this.blockDocStart.byteLength + this.blockDocs.byteLength + this.summaryStart.byteLength +
      this.summaryTerms.byteLength + this.summaryLevels.byteLength + this.summaryScale.byteLength + this.seen.byteLength
    );
  }

  search(query: SparseVector, k: number, q: Required<SeismicQueryParams>, filter?: DocFilter): SeismicResult {
    const forward = this.index.forward; // read now: it may have moved into kernel memory
    const { docStart, terms: fTerms, weights: fWeights } = forward;
    const numTerms = this.index.numTerms;
    const dense = this.dense;
    const qTerms: number[] = [];
    for (let i = 0; i < query.nnz; i++) {
      const t = query.terms[i]!;
      if (t >= numTerms) continue;
      dense[t] = query.weights[i]!;
      qTerms.push(t);
    }
    // The heaviest query terms, heaviest first (ties: lower term id).
    qTerms.sort((a, b) => dense[b]! - dense[a]! || a - b);
    if (qTerms.length > q.queryCut) qTerms.length = q.queryCut;
    if (++this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp, seen = this.seen;
    const collector = new TopKCollector(k, 0, false, filter);
    const hf = q.heapFactor;
    let docsScored = 0, postingsScored = 0, blocksVisited = 0;
    const { summaryStart, summaryTerms, summaryLevels, summaryScale, blockDocStart, blockDocs } = this;
    let blockScores = new Float64Array(64);
    let blockOrder: number[] = [];
    try {
      for (const t of qTerms) {
        const b0 = this.termBlockStart[t]!, b1 = this.termBlockStart[t + 1]!;
        const nb = b1 - b0;
        if (nb === 0) continue;
        if (blockScores.length < nb) blockScores = new Float64Array(nb * 2);
        for (let b = b0; b < b1; b++) {
          let s = 0;
          for (let j = summaryStart[b]!, e = summaryStart[b + 1]!; j < e; j++) s += dense[summaryTerms[j]!]! * summaryLevels[j]!;
          blockScores[b - b0] = s * summaryScale[b]!;
        }
        blockOrder = Array.from({ length: nb }, (_, i) => i).sort((x, y) => blockScores[y]! - blockScores[x]! || x - y);
        for (const i of blockOrder) {
          // The threshold only rises and the order descends: the rest of this term's blocks are skipped too.
          if (hf > 0 && blockScores[i]! < hf * collector.threshold) break;
          blocksVisited++;
          const b = b0 + i;
          for (let j = blockDocStart[b]!, e = blockDocStart[b + 1]!; j < e; j++) {
            const d = blockDocs[j]!;
            if (seen[d] === stamp) continue;
            seen[d] = stamp;
            // The float dot product of ForwardIndex.dot, inlined.
            let s = 0;
            const ds = docStart[d]!, de = docStart[d + 1]!;
            for (let x = ds; x < de; x++) {
              const w = dense[fTerms[x]!]!;
              if (w !== 0) s += w * fWeights[x]!;
            }
            docsScored++;
            postingsScored += de - ds;
            collector.offer(d, s);
          }
        }
      }
    } finally {
      for (let i = 0; i < query.nnz; i++) if (query.terms[i]! < numTerms) dense[query.terms[i]!] = 0;
    }
    return { hits: collector.results(), docsScored, postingsScored, blocksVisited };
  }
}

/** The `cap` largest (key, value) pairs pushed, ties to the lower key. */
class MinHeap {
  private keys: Uint32Array;
  private vals: Float64Array;
  private n = 0;
  constructor(private readonly cap: number) {
    this.keys = new Uint32Array(cap);
    this.vals = new Float64Array(cap);
  }
  clear(): void {
    this.n = 0;
  }
  /** a ranks below b: smaller value, or same value and higher key. */
  private static below(va: number, ka: number, vb: number, kb: number): boolean {
    return va < vb || (va === vb && ka > kb);
  }
  push(key: number, val: number): void {
    const { keys, vals } = this;
    if (this.n < this.cap) {
      let i = this.n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!MinHeap.below(val, key, vals[p]!, keys[p]!)) break;
        keys[i] = keys[p]!;
        vals[i] = vals[p]!;
        i = p;
      }
      keys[i] = key;
      vals[i] = val;
      return;
    }
    if (MinHeap.below(val, key, vals[0]!, keys[0]!)) return;
    this.siftDown(key, val, this.n);
  }
  private siftDown(key: number, val: number, n: number): void {
    const { keys, vals } = this;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && MinHeap.below(vals[c + 1]!, keys[c + 1]!, vals[c]!, keys[c]!)) c++;
      if (!MinHeap.below(vals[c]!, keys[c]!, val, key)) break;
      keys[i] = keys[c]!;
      vals[i] = vals[c]!;
      i = c;
    }
    keys[i] = key;
    vals[i] = val;
  }
  /** The kept keys, heaviest first; empties the heap. */
  drainDescending(): Uint32Array {
    const out = new Uint32Array(this.n);
    while (this.n > 0) {
      const last = --this.n;
      out[last] = this.keys[0]!;
      if (last > 0) this.siftDown(this.keys[last]!, this.vals[last]!, last);
    }
    return out;
  }
}

const cache = new WeakMap<SegmentIndex, Map<string, SeismicIndex>>();

/** The segment's Seismic index for these build parameters (built on first use, then cached while the segment lives). */
export function seismicIndex(index: SegmentIndex, build: Required<SeismicBuildParams>): SeismicIndex {
  let byKey = cache.get(index);
  if (byKey === undefined) cache.set(index, (byKey = new Map()));
  const key = `${build.lambda}/${build.blockSize}/${build.summaryMass}/${build.summaryCap}`;
  let s = byKey.get(key);
  if (s === undefined) byKey.set(key, (s = new SeismicIndex(index, build)));
  return s;
}

/** Approximate top-k of one segment with the Seismic-style index (built lazily); exact float scores. */
export function seismicSearch(index: SegmentIndex, query: SparseVector, k: number, params?: SeismicParams, filter?: DocFilter): SeismicResult {
  const p = checkSeismicParams(params, index.numDocs);
  const s = seismicIndex(index, { lambda: p.lambda, blockSize: p.blockSize, summaryMass: p.summaryMass, summaryCap: p.summaryCap });
  return s.search(query, k, { queryCut: p.queryCut, heapFactor: p.heapFactor }, filter);
}
