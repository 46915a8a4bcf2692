import { SparseDbError } from "../errors.js";
import type { ForwardIndex } from "./forward-index.js";

/** Documents per range: the unit of the range bounds that exact search prunes by. */
export const RANGE_SHIFT = 2;
export const RANGE_DOCS = 1 << RANGE_SHIFT;
/** Ranges per page: a rare term's entry holds its range as an offset inside a page. */
export const PAGE_RANGES = 256;
/** Ranges per window: the kernel bounds one window at a time (u16 bounds, 8 KiB, in L1). */
export const WINDOW_RANGES = 4096;
/** A term gets a dense u8 row when it is in at least 1/8 of the documents (and in 2048). */
export const DENSE_DF_FRACTION = 8;
export const MIN_DENSE_DF = 2048;
/** Less common terms, down to 1/48 of the documents, get a 4-bit row (half the bytes to stream). */
export const NIBBLE_DF_FRACTION = 48;
/** Levels of a 4-bit row: a weight rounded up to 1/15 of the term's own largest weight. */
export const NIBBLE_LEVELS = 15;
/** Ranks whose impact lower bounds are kept per term, for a rank-safe starting threshold. */
export const KTH_RANKS = [10, 100, 1000] as const;
/** Bound levels: range maxima are weights rounded up to 1/255 of the segment's largest weight. */
export const LEVELS = 255;

export interface RangeLayoutArrays {
  /** Documents per term. */
  termDocFreq: Uint32Array;
  /** Term -> its dense u8 row (>= 0), its 4-bit row r as -2 - r, or -1 for a rare term. */
  termRow: Int32Array;
  /** Dense u8 rows, `stride` bytes each: per range, the term's largest level there (0: absent). */
  rows: Uint8Array;
  /**
   * 4-bit rows, stride / 2 bytes each. Per group of 32 ranges, 16 bytes: byte i holds range
   * 32g + i in its low nibble and range 32g + 16 + i in its high one (so SIMD unpacks a group
   * with one mask and one shift). A nibble is the term's largest level in the range in units
   * of nibbleStep (0: absent).
   */
  nibbleRows: Uint8Array;
  /** Per 4-bit row: its float step, the term's largest weight / 15 (rounded up to float32). */
  nibbleStep: Float32Array;
  /** Rare term t's entries are rare[rareStart[t] .. rareStart[t+1]); length numTerms + 1. */
  rareStart: Uint32Array;
  /**
   * Rare entries, u16 each, in range order per term: (level << 8 | offset in page) for a range
   * of the current page; level 0 is a page marker that advances the page by offset + 1 (the
   * page starts at 0). Decoding needs no bit unpacking and no directory.
   */
  rare: Uint16Array;
  /**
   * Per term and rank K of KTH_RANKS (3 per term): a lower bound of the K-th largest weight of
   * the term (0 when fewer than K documents hold it).
   */
  kthWeight: Float32Array;
}

export interface RangeLayoutOptions {
  /** Terms in at least this many documents get a dense u8 row (tests lower it to exercise rows). */
  minDenseDf?: number;
  /** Terms in at least this many documents (and not in a u8 row) get a 4-bit row. */
  minNibbleDf?: number;
}

export const RANGE_LAYOUT_KEYS = ["termDocFreq", "termRow", "rows", "nibbleRows", "nibbleStep", "rareStart", "rare", "kthWeight"] as const;

/**
 * The layout exact search runs on (engine/search/range-search.ts): the documents of a segment
 * cut into ranges of 4 consecutive doc ids, and for each term an upper bound of its weight in
 * every range it occurs in, as a level: ceil(weight / step) with step = maxWeight / 255, so
 * level * step >= weight. Common terms store one byte per range (a dense row, read with SIMD);
 * rare terms store (level, offset) pairs page by page. Built from the forward index, so merges
 * and flushes rebuild it, and stored in the segment file.
 */
export class RangeLayout {
  readonly numDocs: number;
  readonly numRanges: number;
  /** Bytes per dense row: numRanges rounded up to whole windows. */
  readonly stride: number;
  /** The float weight of one level. */
  readonly step: number;
  readonly a: RangeLayoutArrays;

  constructor(numDocs: number, maxWeight: number, arrays: RangeLayoutArrays) {
    this.numDocs = numDocs;
    this.numRanges = Math.ceil(numDocs / RANGE_DOCS);
    this.stride = Math.max(WINDOW_RANGES, Math.ceil(this.numRanges / WINDOW_RANGES) * WINDOW_RANGES);
    this.step = levelStep(maxWeight);
    this.a = arrays;
    validate(this);
  }

  get numTerms(): number {
    return this.a.termDocFreq.length;
  }

  get numRows(): number {
    return this.a.rows.length / this.stride;
  }

  get numNibbleRows(): number {
    return this.a.nibbleStep.length;
  }

  byteLength(): number {
    let n = 0;
    for (const k of RANGE_LAYOUT_KEYS) n += this.a[k].byteLength;
    return n;
  }

  /** Builds the layout of a forward index whose largest weight is maxWeight. */
  static build(forward: ForwardIndex, maxWeight: number, numTerms: number, options: RangeLayoutOptions = {}): RangeLayout {
    return new RangeLayout(forward.numDocs, maxWeight, buildArrays(forward, maxWeight, numTerms, options));
  }
}

export function levelStep(maxWeight: number): number {
  return maxWeight > 0 ? maxWeight / LEVELS : 1;
}

/** The level of a weight > 0: the smallest l with l * step >= weight, in 1..255. */
export function levelOf(w: number, invStep: number): number {
  const l = Math.ceil(w * invStep);
  return l < 1 ? 1 : l > LEVELS ? LEVELS : l;
}

/** A 4-bit row's step: the term's largest weight / 15, rounded up to a float32 >= it. */
function nibbleStepOf(max: number): number {
  const step = Math.fround((max / NIBBLE_LEVELS) * (1 + 1e-6));
  return step > 0 ? step : Math.fround(1);
}

/** The smallest l in 1..15 with l * step >= w (step * 15 >= the term's largest weight). */
function nibbleLevelOf(w: number, step: number): number {
  const l = Math.ceil(w / step);
  return l < 1 ? 1 : l > NIBBLE_LEVELS ? NIBBLE_LEVELS : l;
}

/** Postings per window of the build's term-major view (8 bytes each of scratch). */
const WINDOW_POSTINGS = 1 << 23;
/** Windows hold whole pages, so no range or page of rare entries spans two. */
const WINDOW_ALIGN_DOCS = PAGE_RANGES * RANGE_DOCS;

/**
 * Builds the arrays term-major: the documents are cut into windows of whole pages, and each
 * window's postings are counting-sorted by term into (range, weight) pairs, so every term's
 * rows, rare entries and level counts are written sequentially, one term at a time, instead
 * of one random access per posting. `windowPostings`: the window budget (tests lower it).
 * test/engine/range-layout-build.test.ts holds the result, bit for bit, to the doc-major
 * reference it replaced (test/engine/range-layout-reference.ts).
 */
export function buildArrays(forward: ForwardIndex, maxWeight: number, numTerms: number, options: RangeLayoutOptions, windowPostings = WINDOW_POSTINGS): RangeLayoutArrays {
  const { docStart, terms, weights } = forward;
  const numDocs = forward.numDocs;
  const numRanges = Math.ceil(numDocs / RANGE_DOCS);
  const stride = Math.max(WINDOW_RANGES, Math.ceil(numRanges / WINDOW_RANGES) * WINDOW_RANGES);
  const step = levelStep(maxWeight);
  // w / step as w * invStep can round differently; ceil of the product with one level of
  // headroom is still an upper bound after clamping, and is what levelOf relies on.
  const invStep = 1 / step;

  // Document frequencies and largest weights decide the rows and which terms keep level counts.
  const termDocFreq = new Uint32Array(numTerms);
  const termMax = new Float32Array(numTerms);
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    termDocFreq[t]!++;
    if (weights[i]! > termMax[t]!) termMax[t] = weights[i]!;
  }
  const minDense = options.minDenseDf ?? Math.max(MIN_DENSE_DF, Math.ceil(numDocs / DENSE_DF_FRACTION));
  const minNibble = options.minNibbleDf ?? Math.max(MIN_DENSE_DF, Math.ceil(numDocs / NIBBLE_DF_FRACTION));
  const termRow = new Int32Array(numTerms).fill(-1);
  const histRow = new Int32Array(numTerms).fill(-1);
  const steps: number[] = [];
  let numRows = 0, numHist = 0;
  for (let t = 0; t < numTerms; t++) {
    const df = termDocFreq[t]!;
    if (df >= minDense) termRow[t] = numRows++;
    else if (df >= minNibble) {
      termRow[t] = -2 - steps.length;
      steps.push(nibbleStepOf(termMax[t]!));
    }
    if (df >= KTH_RANKS[0]) histRow[t] = numHist++;
  }
  const rows = new Uint8Array(numRows * stride);
  const nibbleStep = Float32Array.from(steps);
  const nibbleRows = new Uint8Array(steps.length * (stride / 2));
  // Per term in at least KTH_RANKS[0] documents, its postings per floor level (for kthWeight).
  const hist = new Uint32Array(numHist * (LEVELS + 1));

  const bounds = windowBounds(docStart, numDocs, windowPostings);
  let most = 0;
  for (let w = 1; w < bounds.length; w++) most = Math.max(most, docStart[bounds[w]!]! - docStart[bounds[w - 1]!]!);
  const pairs = new Uint32Array(2 * most); // per posting of a window: its range, its weight's bits
  const pairWeights = new Float32Array(pairs.buffer);
  const start = new Uint32Array(numTerms + 1);
  const fill = new Uint32Array(numTerms);
  const page = new Int32Array(numTerms); // per rare term, the page of its last entry
  // A rare term's entries in a window: at most one per range and one page marker before it, and
  // markers for the pages it skips (one per PAGE_RANGES pages).
  const skips = 1 + Math.ceil(Math.ceil(numRanges / PAGE_RANGES) / PAGE_RANGES);
  let scratch: Uint16Array = new Uint16Array(0);
  const chunks: { entries: Uint16Array; start: Uint32Array }[] = [];
  for (let w = 1; w < bounds.length; w++) {
    const d0 = bounds[w - 1]!, d1 = bounds[w]!;
    const p0 = docStart[d0]!, p1 = docStart[d1]!;
    // Counting sort of the window's postings by term.
    if (bounds.length === 2) start.set(termDocFreq, 1);
    else {
      start.fill(0);
      for (let i = p0; i < p1; i++) start[terms[i]! + 1]!++;
    }
    for (let t = 0; t < numTerms; t++) {
      fill[t] = start[t]!;
      start[t + 1]! += start[t]!;
    }
    for (let d = d0; d < d1; d++) {
      const r = d >>> RANGE_SHIFT;
      for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
        const at = fill[terms[i]!]!++ << 1;
        pairs[at] = r;
        pairWeights[at + 1] = weights[i]!;
      }
    }
    // Term by term: level counts, then the term's dense row, 4-bit row or rare entries.
    const rareAt = new Uint32Array(numTerms + 1);
    let o = 0;
    for (let t = 0; t < numTerms; t++) {
      rareAt[t] = o;
      const s = start[t]!, e = start[t + 1]!;
      if (s === e) continue;
      const h = histRow[t]!;
      if (h >= 0) countLevels(pairWeights, s, e, invStep, hist, h * (LEVELS + 1));
      const row = termRow[t]!;
      if (row >= 0) denseRun(pairs, pairWeights, s, e, invStep, rows, row * stride);
      else if (row <= -2) nibbleRun(pairs, pairWeights, s, e, nibbleStep[-2 - row]!, nibbleRows, (-2 - row) * (stride / 2));
      else {
        if (o + 2 * (e - s) + skips > scratch.length) scratch = grown(scratch, o + 2 * (e - s) + skips);
        o = rareRun(pairs, pairWeights, s, e, invStep, scratch, o, page, t);
      }
    }
    rareAt[numTerms] = o;
    chunks.push({ entries: scratch.slice(0, o), start: rareAt });
  }
  const { rareStart, rare } = joinRare(chunks, numTerms);
  const kthWeight = kthWeights(hist, histRow, termDocFreq, step);
  return { termDocFreq, termRow, rows, nibbleRows, nibbleStep, rareStart, rare, kthWeight };
}

/** Doc ids that cut the documents into windows of whole pages, of at most `budget` postings (or one page). */
function windowBounds(docStart: Uint32Array, numDocs: number, budget: number): number[] {
  const bounds = [0];
  for (let d0 = 0; d0 < numDocs; ) {
    let d1 = Math.min(numDocs, d0 + WINDOW_ALIGN_DOCS);
    for (let next = Math.min(numDocs, d1 + WINDOW_ALIGN_DOCS); d1 < numDocs && docStart[next]! - docStart[d0]! <= budget; next = Math.min(numDocs, d1 + WINDOW_ALIGN_DOCS)) d1 = next;
    bounds.push(d1);
    d0 = d1;
  }
  return bounds;
}

function grown(a: Uint16Array, need: number): Uint16Array {
  const b = new Uint16Array(Math.max(need, 2 * a.length));
  b.set(a);
  return b;
}

/** Adds one term's postings [s, e) of the window to its floor-level counts at hist[at ..]. */
function countLevels(pw: Float32Array, s: number, e: number, invStep: number, hist: Uint32Array, at: number): void {
  for (let p = s; p < e; p++) hist[at + Math.min(LEVELS, Math.floor(pw[2 * p + 1]! * invStep))]!++;
}

/** Raises one term's dense row (at rows[at ..]) to the levels of its postings [s, e). */
function denseRun(pairs: Uint32Array, pw: Float32Array, s: number, e: number, invStep: number, rows: Uint8Array, at: number): void {
  for (let p = s; p < e; p++) {
    const i = at + pairs[2 * p]!;
    const l = levelOf(pw[2 * p + 1]!, invStep);
    if (l > rows[i]!) rows[i] = l;
  }
}

/** Raises one term's 4-bit row (at nibbleRows[at ..], steps of `step`) to the levels of its postings [s, e). */
function nibbleRun(pairs: Uint32Array, pw: Float32Array, s: number, e: number, step: number, nibbleRows: Uint8Array, at: number): void {
  for (let p = s; p < e; p++) {
    const r = pairs[2 * p]!;
    const i = at + ((r >>> 5) << 4) + (r & 15);
    const l = nibbleLevelOf(pw[2 * p + 1]!, step);
    const b = nibbleRows[i]!;
    if (r & 16) {
      if (l > b >>> 4) nibbleRows[i] = (b & 0x0f) | (l << 4);
    } else if (l > (b & 0x0f)) nibbleRows[i] = (b & 0xf0) | l;
  }
}

/**
 * Appends rare term t's entries for its postings [s, e) of the window to out[o ..] (page
 * markers, then one entry per range with the range's largest level); returns the new end.
 */
function rareRun(pairs: Uint32Array, pw: Float32Array, s: number, e: number, invStep: number, out: Uint16Array, o: number, page: Int32Array, t: number): number {
  let last = -1, pg = page[t]!;
  for (let p = s; p < e; p++) {
    const r = pairs[2 * p]!;
    const l = levelOf(pw[2 * p + 1]!, invStep);
    if (r === last) {
      if (l > out[o - 1]! >>> 8) out[o - 1] = (l << 8) | (r & 255);
      continue;
    }
    last = r;
    const at = r >>> 8;
    for (let gap = at - pg; gap > 0; gap -= PAGE_RANGES) out[o++] = Math.min(gap, PAGE_RANGES) - 1;
    pg = at;
    out[o++] = (l << 8) | (r & 255);
  }
  page[t] = pg;
  return o;
}

/** The rare entries of every window, joined term by term (a single window's are the result). */
function joinRare(chunks: { entries: Uint16Array; start: Uint32Array }[], numTerms: number): { rareStart: Uint32Array; rare: Uint16Array } {
  if (chunks.length === 1) return { rareStart: chunks[0]!.start, rare: chunks[0]!.entries };
  const rareStart = new Uint32Array(numTerms + 1);
  for (const c of chunks) for (let t = 0; t < numTerms; t++) rareStart[t + 1]! += c.start[t + 1]! - c.start[t]!;
  for (let t = 0; t < numTerms; t++) rareStart[t + 1]! += rareStart[t]!;
  const rare = new Uint16Array(rareStart[numTerms]!);
  for (let t = 0, o = 0; t < numTerms; t++) {
    for (const c of chunks) for (let i = c.start[t]!, e = c.start[t + 1]!; i < e; i++) rare[o++] = c.entries[i]!;
  }
  return { rareStart, rare };
}

/** Lower bounds of each term's K-th largest weights, from its floor-level counts. */
function kthWeights(hist: Uint32Array, histRow: Int32Array, termDocFreq: Uint32Array, step: number): Float32Array {
  const numTerms = histRow.length;
  const kthWeight = new Float32Array(numTerms * KTH_RANKS.length);
  for (let t = 0; t < numTerms; t++) {
    const h = histRow[t]!;
    if (h < 0) continue;
    let ranks = 0; // the ranks this term has enough documents for
    while (ranks < KTH_RANKS.length && termDocFreq[t]! >= KTH_RANKS[ranks]!) ranks++;
    let seen = 0, j = 0;
    for (let l = LEVELS; l >= 0 && j < ranks; l--) {
      seen += hist[h * (LEVELS + 1) + l]!;
      while (j < ranks && seen >= KTH_RANKS[j]!) {
        // floor(w * invStep) = l means w >= l * step up to rounding: a relative margin of 1e-6
        // covers that and float32's rounding (2^-24).
        kthWeight[t * KTH_RANKS.length + j] = Math.fround(l * step * (1 - 1e-6));
        j++;
      }
    }
  }
  return kthWeight;
}

function validate(l: RangeLayout): void {
  const a = l.a;
  const bad = (what: string): never => {
    throw new SparseDbError("CORRUPTION", `range layout is inconsistent: ${what}`);
  };
  const v = a.termDocFreq.length;
  if (a.termRow.length !== v || a.rareStart.length !== v + 1 || a.kthWeight.length !== v * KTH_RANKS.length) bad("per-term tables differ in length");
  if (a.rows.length % l.stride !== 0) bad(`dense rows are not whole rows of ${l.stride} bytes`);
  const numRows = a.rows.length / l.stride;
  const numNibble = a.nibbleStep.length;
  if (a.nibbleRows.length !== numNibble * (l.stride / 2)) bad(`4-bit rows are not ${numNibble} rows of ${l.stride / 2} bytes`);
  for (let n = 0; n < numNibble; n++) if (!(a.nibbleStep[n]! > 0)) bad(`4-bit row ${n} has step ${a.nibbleStep[n]}`);
  for (let t = 0; t < v; t++) {
    const r = a.termRow[t]!;
    if (r >= numRows || r < -1 - numNibble) bad(`term ${t} names row ${r} of ${numRows} (and ${numNibble} 4-bit rows)`);
    if (a.rareStart[t + 1]! < a.rareStart[t]!) bad(`rare entries of term ${t} end before they start`);
  }
  if (a.rareStart[v] !== a.rare.length) bad("rare entry offsets do not cover the entries");
}
