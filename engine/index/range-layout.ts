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

const rows4High = (b: number): number => b >>> 4;

function buildArrays(forward: ForwardIndex, maxWeight: number, numTerms: number, options: RangeLayoutOptions): RangeLayoutArrays {
  const { docStart, terms, weights } = forward;
  const numDocs = forward.numDocs;
  const numRanges = Math.ceil(numDocs / RANGE_DOCS);
  const stride = Math.max(WINDOW_RANGES, Math.ceil(numRanges / WINDOW_RANGES) * WINDOW_RANGES);
  const step = levelStep(maxWeight);
  // w / step as w * invStep can round differently; ceil of the product with one level of
  // headroom is still an upper bound after clamping, and is what levelOf relies on.
  const invStep = 1 / step;

  // Pass 1: document frequencies and largest weights decide the rows and which terms keep a
  // level histogram.
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
  const hist = new Uint32Array(numHist * (LEVELS + 1));

  // Pass 2: dense rows and histograms; per rare term, its entry count (ranges + page markers).
  const rareCount = new Uint32Array(numTerms + 1);
  const lastRange = new Int32Array(numTerms).fill(-1);
  const page = new Int32Array(numTerms);
  for (let d = 0; d < numDocs; d++) {
    const r = d >>> RANGE_SHIFT;
    const p = r >>> 8;
    for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
      const t = terms[i]!;
      const w = weights[i]!;
      const h = histRow[t]!;
      if (h >= 0) hist[h * (LEVELS + 1) + Math.min(LEVELS, Math.floor(w * invStep))]!++;
      const row = termRow[t]!;
      if (row >= 0) {
        const at = row * stride + r;
        const l = levelOf(w, invStep);
        if (l > rows[at]!) rows[at] = l;
        continue;
      }
      if (row <= -2) {
        const n = -2 - row;
        const at = n * (stride / 2) + ((r >>> 5) << 4) + (r & 15);
        const l = nibbleLevelOf(w, nibbleStep[n]!);
        if (r & 16) {
          if (l > rows4High(nibbleRows[at]!)) nibbleRows[at] = (nibbleRows[at]! & 0x0f) | (l << 4);
        } else if (l > (nibbleRows[at]! & 0x0f)) nibbleRows[at] = (nibbleRows[at]! & 0xf0) | l;
        continue;
      }
      if (lastRange[t] === r) continue;
      lastRange[t] = r;
      if (p !== page[t]) {
        rareCount[t + 1]! += Math.ceil((p - page[t]!) / PAGE_RANGES);
        page[t] = p;
      }
      rareCount[t + 1]!++;
    }
  }
  const rareStart = rareCount;
  for (let t = 0; t < numTerms; t++) rareStart[t + 1]! += rareStart[t]!;

  // Pass 3: rare entries, with the largest level of each (term, range).
  const rare = new Uint16Array(rareStart[numTerms]!);
  const fill = rareStart.slice(0, numTerms);
  lastRange.fill(-1);
  page.fill(0);
  for (let d = 0; d < numDocs; d++) {
    const r = d >>> RANGE_SHIFT;
    const p = r >>> 8;
    for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
      const t = terms[i]!;
      if (termRow[t] !== -1) continue;
      const l = levelOf(weights[i]!, invStep);
      if (lastRange[t] === r) {
        const at = fill[t]! - 1;
        if (l > rare[at]! >>> 8) rare[at] = (l << 8) | (r & 255);
        continue;
      }
      lastRange[t] = r;
      let gap = p - page[t]!;
      while (gap > 0) {
        const by = Math.min(gap, PAGE_RANGES);
        rare[fill[t]!++] = by - 1;
        gap -= by;
      }
      page[t] = p;
      rare[fill[t]!++] = (l << 8) | (r & 255);
    }
  }

  // Lower bounds of the K-th largest weight from the floor-level histograms.
  const kthWeight = new Float32Array(numTerms * KTH_RANKS.length);
  for (let t = 0; t < numTerms; t++) {
    const h = histRow[t]!;
    if (h < 0) continue;
    let seen = 0, j = 0;
    for (let l = LEVELS; l >= 0 && j < KTH_RANKS.length; l--) {
      seen += hist[h * (LEVELS + 1) + l]!;
      while (j < KTH_RANKS.length && seen >= KTH_RANKS[j]!) {
        // floor(w * invStep) = l means w >= l * step up to rounding: a relative margin of 1e-6
        // covers that and float32's rounding (2^-24).
        kthWeight[t * KTH_RANKS.length + j] = Math.fround(l * step * (1 - 1e-6));
        j++;
      }
    }
  }
  return { termDocFreq, termRow, rows, nibbleRows, nibbleStep, rareStart, rare, kthWeight };
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
