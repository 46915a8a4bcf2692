import { SparseDbError } from "../errors.js";
import type { ForwardIndex, TermArray } from "./forward-index.js";

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

/** Postings per window of the build (4 bytes of scratch each). */
const WINDOW_POSTINGS = 1 << 23;
/** Windows hold whole pages, so no range or page of rare entries spans two. */
const WINDOW_ALIGN_DOCS = PAGE_RANGES * RANGE_DOCS;
/** Most documents per window: a range's offset in its window must fit 16 bits. */
const WINDOW_MAX_DOCS = (1 << 16) * RANGE_DOCS;

/**
 * Builds the arrays in windows of whole pages. Per window, one doc-major pass counting-sorts
 * the postings by term, each packed as (range in the window << 16 | level << 8 | floor level),
 * with the same work for every posting (no branch on the term's kind, which a doc-major pass
 * cannot predict); then one term-major pass counts each term's floor levels and writes its
 * dense row, 4-bit row or rare entries, sequentially. (The builder this replaced made a random
 * access into a histogram of every term per posting, and two doc-major passes for rare
 * entries.) Each hot loop is a function of its own, so that V8 optimizes it on its own
 * feedback. `windowPostings`: the window budget (tests lower it).
 * test/engine/range-layout-build.test.ts holds the result, bit for bit, to that builder
 * (test/engine/range-layout-reference.ts).
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
  termStats(terms, weights, termDocFreq, termMax);
  const minDense = options.minDenseDf ?? Math.max(MIN_DENSE_DF, Math.ceil(numDocs / DENSE_DF_FRACTION));
  const minNibble = options.minNibbleDf ?? Math.max(MIN_DENSE_DF, Math.ceil(numDocs / NIBBLE_DF_FRACTION));
  const termRow = new Int32Array(numTerms).fill(-1);
  // Per term in at least KTH_RANKS[0] documents, where its postings per floor level start in
  // the level counts of a segment of several windows (one window counts each term on its own).
  const histAt = new Int32Array(numTerms).fill(-1);
  const steps: number[] = [];
  let numRows = 0, numHist = 0;
  for (let t = 0; t < numTerms; t++) {
    const df = termDocFreq[t]!;
    if (df >= minDense) termRow[t] = numRows++;
    else if (df >= minNibble) {
      termRow[t] = -2 - steps.length;
      steps.push(nibbleStepOf(termMax[t]!));
    }
    if (df >= KTH_RANKS[0]) histAt[t] = numHist++ * (LEVELS + 1);
  }
  const rows = new Uint8Array(numRows * stride);
  const nibbleStep = Float32Array.from(steps);
  const nibbleRows = new Uint8Array(steps.length * (stride / 2));
  const level = levelRule(termRow, nibbleStep, invStep);

  const bounds = windowBounds(docStart, numDocs, windowPostings);
  const kth: KthLevels = {
    single: bounds.length === 2,
    hist: new Uint32Array((bounds.length === 2 ? 1 : numHist) * (LEVELS + 1)),
    histAt,
    kthWeight: new Float32Array(numTerms * KTH_RANKS.length),
    termDocFreq,
    termMax,
    invStep,
    step,
  };
  const start = new Uint32Array(numTerms + 1);
  const fill = new Uint32Array(numTerms);
  const page = new Int32Array(numTerms); // per rare term, the page of its last entry
  // A rare term's entries in a window: at most one per range and one page marker before it, and
  // markers for the pages it skips (one per PAGE_RANGES pages).
  const skips = 1 + Math.ceil(Math.ceil(numRanges / PAGE_RANGES) / PAGE_RANGES);
  let packed: Int32Array = new Int32Array(0);
  let entries: Uint16Array = new Uint16Array(0);
  const chunks: { entries: Uint16Array; start: Uint32Array }[] = [];
  for (let w = 1; w < bounds.length; w++) {
    const d0 = bounds[w - 1]!, d1 = bounds[w]!;
    if (bounds.length === 2) start.set(termDocFreq, 1);
    else termCounts(terms, docStart[d0]!, docStart[d1]!, start);
    let rarePostings = 0, rareTerms = 0;
    for (let t = 0; t < numTerms; t++) {
      if (termRow[t] !== -1 || start[t + 1] === 0) continue;
      rarePostings += start[t + 1]!;
      rareTerms++;
    }
    startsOf(start, fill);
    // Scratch (every element is written before it is read): the last build's when large enough.
    if (packed.length < start[numTerms]!) packed = spareOr(spare?.packed, start[numTerms]!, Int32Array);
    if (entries.length < 2 * rarePostings + rareTerms * skips) entries = spareOr(spare?.entries, 2 * rarePostings + rareTerms * skips, Uint16Array);
    packPostings(docStart, terms, weights, d0, d1, invStep, level, packed, fill);
    const rareAt = new Uint32Array(numTerms + 1);
    const r0 = d0 >>> RANGE_SHIFT;
    const o = termPass(start, packed, r0, termRow, kth, rows, stride, nibbleRows, entries, page, rareAt);
    chunks.push({ entries: entries.slice(0, o), start: rareAt });
  }
  spare = { packed: new WeakRef(packed), entries: new WeakRef(entries) };
  const { rareStart, rare } = joinRare(chunks, numTerms);
  if (!kth.single) for (let t = 0; t < numTerms; t++) if (histAt[t]! >= 0) setKth(kth, t, histAt[t]!);
  const kthWeight = kth.kthWeight;
  return { termDocFreq, termRow, rows, nibbleRows, nibbleStep, rareStart, rare, kthWeight };
}

/**
 * The last build's scratch arrays, for the next build to reuse while the collector has not
 * taken them: a worker builds segment after segment, and fresh tens of MiB cost page faults.
 */
let spare: { packed: WeakRef<Int32Array>; entries: WeakRef<Uint16Array> } | undefined;

function spareOr<T extends Int32Array | Uint16Array>(ref: WeakRef<T> | undefined, n: number, ctor: new (n: number) => T): T {
  const a = ref?.deref();
  if (a !== undefined && a.length >= n) return a;
  return new ctor(n);
}

/** Per term, its documents and its largest weight. */
function termStats(terms: TermArray, weights: Float32Array, termDocFreq: Uint32Array, termMax: Float32Array): void {
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    termDocFreq[t]!++;
    if (weights[i]! > termMax[t]!) termMax[t] = weights[i]!;
  }
}

/** count[t + 1] = term t's postings among postings [p0, p1). */
function termCounts(terms: TermArray, p0: number, p1: number, count: Uint32Array): void {
  count.fill(0);
  for (let i = p0; i < p1; i++) count[terms[i]! + 1]!++;
}

/** Turns counts (at [t + 1]) into starts, copied into fill. */
function startsOf(start: Uint32Array, fill: Uint32Array): void {
  for (let t = 0; t < fill.length; t++) {
    fill[t] = start[t]!;
    start[t + 1]! += start[t]!;
  }
}

/**
 * Per term, how a weight becomes the level its row or entries keep: ceil(w * mul) clamped to
 * 1..top, where a 4-bit row's term has mul = 1 / its step and top 15 (and `exact`, its step:
 * near an integer the product may round across it, so the level is then ceil(w / step), as
 * the 4-bit rows define it), and every other term levelOf's rule (mul = invStep, top 255).
 */
interface LevelRule {
  mul: Float64Array;
  top: Int32Array;
  exact: Float32Array;
}

function levelRule(termRow: Int32Array, nibbleStep: Float32Array, invStep: number): LevelRule {
  const n = termRow.length;
  const rule = { mul: new Float64Array(n).fill(invStep), top: new Int32Array(n).fill(LEVELS), exact: new Float32Array(n) };
  for (let t = 0; t < n; t++) {
    if (termRow[t]! > -2) continue;
    const step = nibbleStep[-2 - termRow[t]!]!;
    rule.mul[t] = 1 / step;
    rule.top[t] = NIBBLE_LEVELS;
    rule.exact[t] = step;
  }
  return rule;
}

/** A product within this of an integer is redone as a division (see LevelRule). */
const NEAR_INTEGER = 1e-9;

/**
 * The doc-major pass over documents [d0, d1): term t's postings go to packed[fill[t]++], as
 * (range in the window << 16 | level << 8 | floor level).
 */
function packPostings(docStart: Uint32Array, terms: TermArray, weights: Float32Array, d0: number, d1: number, invStep: number, rule: LevelRule, packed: Int32Array, fill: Uint32Array): void {
  const { mul, top, exact } = rule;
  const r0 = d0 >>> RANGE_SHIFT;
  for (let d = d0; d < d1; d++) {
    const rel = ((d >>> RANGE_SHIFT) - r0) << 16;
    for (let i = docStart[d]!, e = docStart[d + 1]!; i < e; i++) {
      const t = terms[i]!;
      const w = weights[i]!;
      const floor = Math.min(LEVELS, Math.floor(w * invStep));
      const q = w * mul[t]!;
      let c = Math.ceil(q);
      const frac = c - q;
      if ((frac < NEAR_INTEGER || frac > 1 - NEAR_INTEGER) && exact[t] !== 0) c = Math.ceil(w / exact[t]!);
      const m = top[t]!;
      packed[fill[t]!++] = rel | ((c < 1 ? 1 : c > m ? m : c) << 8) | floor;
    }
  }
}

/**
 * The term-major pass over a window's packed postings (term t's at [start[t], start[t + 1]))
 * of the window that starts at range r0: counts each term's floor levels (and in a single
 * window, sets its kthWeight from them), and raises its dense
 * or 4-bit row or writes its rare entries to out, term t's from rareAt[t]; returns the rare
 * entries' end.
 */
function termPass(
  start: Uint32Array,
  packed: Int32Array,
  r0: number,
  termRow: Int32Array,
  kth: KthLevels,
  rows: Uint8Array,
  stride: number,
  nibbleRows: Uint8Array,
  out: Uint16Array,
  page: Int32Array,
  rareAt: Uint32Array,
): number {
  const numTerms = termRow.length;
  let o = 0;
  for (let t = 0; t < numTerms; t++) {
    rareAt[t] = o;
    const s = start[t]!, e = start[t + 1]!;
    if (s === e) continue;
    const h = kth.histAt[t]!;
    if (h >= 0 && kth.single) {
      countLevels(packed, s, e, kth.hist, 0);
      setKth(kth, t, 0);
      clearLevels(packed, s, e, kth.hist);
    } else if (h >= 0) countLevels(packed, s, e, kth.hist, h);
    const row = termRow[t]!;
    if (row >= 0) denseRun(packed, s, e, rows, row * stride + r0);
    else if (row <= -2) nibbleRun(packed, s, e, r0, nibbleRows, (-2 - row) * (stride >>> 1));
    else o = rareRun(packed, s, e, r0, out, o, page, t);
  }
  rareAt[numTerms] = o;
  return o;
}

/** Adds packed postings [s, e) to the floor-level counts at hist[at ..]. */
function countLevels(packed: Int32Array, s: number, e: number, hist: Uint32Array, at: number): void {
  for (let p = s; p < e; p++) hist[at + (packed[p]! & 255)]!++;
}

/** Zeroes the counts that packed postings [s, e) made at hist[0 ..] (a rare term's few, not all LEVELS + 1). */
function clearLevels(packed: Int32Array, s: number, e: number, hist: Uint32Array): void {
  if (e - s > LEVELS) hist.fill(0);
  else for (let p = s; p < e; p++) hist[packed[p]! & 255] = 0;
}

/** Raises a dense row (its window's first range at rows[at]) to the levels of packed postings [s, e). */
function denseRun(packed: Int32Array, s: number, e: number, rows: Uint8Array, at: number): void {
  for (let p = s; p < e; p++) {
    const v = packed[p]!;
    const i = at + (v >>> 16);
    rows[i] = Math.max(rows[i]!, (v >>> 8) & 255); // a store either way: no branch to mispredict
  }
}

/** Raises a 4-bit row (at nibbleRows[at ..]) to the levels of packed postings [s, e) of the window from range r0. */
function nibbleRun(packed: Int32Array, s: number, e: number, r0: number, nibbleRows: Uint8Array, at: number): void {
  for (let p = s; p < e; p++) {
    const v = packed[p]!;
    const r = r0 + (v >>> 16);
    const l = (v >>> 8) & 255;
    const i = at + ((r >>> 5) << 4) + (r & 15);
    const shift = (r & 16) >>> 2; // the high nibble for ranges 16..31 of a group
    const b = nibbleRows[i]!;
    // A store either way, and no branch on the nibble (which a term's random ranges would mispredict).
    nibbleRows[i] = (b & ~(15 << shift)) | (Math.max((b >>> shift) & 15, l) << shift);
  }
}

/**
 * Appends rare term t's entries for its packed postings [s, e) of the window that starts at
 * range r0 to out[o ..] (page markers, then one entry per range with the range's largest
 * level); returns the new end.
 */
function rareRun(packed: Int32Array, s: number, e: number, r0: number, out: Uint16Array, o: number, page: Int32Array, t: number): number {
  let last = -1, pg = page[t]!;
  for (let p = s; p < e; p++) {
    const v = packed[p]!;
    const rel = v >>> 16;
    const l = (v >>> 8) & 255;
    // r0 is a whole page, so the range's offset in its page is its window offset's low byte.
    if (rel === last) {
      if (l > out[o - 1]! >>> 8) out[o - 1] = (l << 8) | (rel & 255);
      continue;
    }
    last = rel;
    const at = (r0 + rel) >>> 8;
    for (let gap = at - pg; gap > 0; gap -= PAGE_RANGES) out[o++] = Math.min(gap, PAGE_RANGES) - 1;
    pg = at;
    out[o++] = (l << 8) | (rel & 255);
  }
  page[t] = pg;
  return o;
}

/**
 * Doc ids that cut the documents into windows of whole pages, of at most `budget` postings (or
 * one page) and WINDOW_MAX_DOCS documents.
 */
function windowBounds(docStart: Uint32Array, numDocs: number, budget: number): number[] {
  const bounds = [0];
  for (let d0 = 0; d0 < numDocs; ) {
    let d1 = Math.min(numDocs, d0 + WINDOW_ALIGN_DOCS);
    for (;;) {
      const next = Math.min(numDocs, d1 + WINDOW_ALIGN_DOCS);
      if (d1 === numDocs || next - d0 > WINDOW_MAX_DOCS || docStart[next]! - docStart[d0]! > budget) break;
      d1 = next;
    }
    bounds.push(d1);
    d0 = d1;
  }
  return bounds;
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

/** What kthWeight is made from: the terms' floor-level counts, per term (several windows) or of one term at a time. */
interface KthLevels {
  single: boolean;
  hist: Uint32Array;
  histAt: Int32Array;
  kthWeight: Float32Array;
  termDocFreq: Uint32Array;
  termMax: Float32Array;
  invStep: number;
  step: number;
}

/** Term t's lower bounds of its K-th largest weights, from its floor-level counts at kth.hist[at ..] (from its top level down). */
function setKth(kth: KthLevels, t: number, at: number): void {
  const { hist, termDocFreq, kthWeight, step } = kth;
  let ranks = 0; // the ranks this term has enough documents for
  while (ranks < KTH_RANKS.length && termDocFreq[t]! >= KTH_RANKS[ranks]!) ranks++;
  // Per rank K, the highest level l with K postings at l or above (seen: those above l).
  let l = Math.min(LEVELS, Math.floor(kth.termMax[t]! * kth.invStep)), seen = 0;
  for (let j = 0; j < ranks; j++) {
    const k = KTH_RANKS[j]!;
    while (l > 0 && seen + hist[at + l]! < k) seen += hist[at + l--]!;
    // floor(w * invStep) = l means w >= l * step up to rounding: a relative margin of 1e-6
    // covers that and float32's rounding (2^-24).
    kthWeight[t * KTH_RANKS.length + j] = Math.fround(l * step * (1 - 1e-6));
  }
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
