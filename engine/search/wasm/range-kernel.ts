// AssemblyScript, compiled to range-kernel.wasm by `npm run build` (see package.json
// "build:wasm"); not part of the TypeScript program. The same algorithm in plain TypeScript,
// which tests hold this kernel bit-identical to, is engine/search/range-search-reference.ts;
// engine/search/range-search.ts says what the algorithm does and lays out the memory.
//
// All data lives in the imported memory at offsets the host sets with setSegment/setScratch;
// nothing here allocates.

const WINDOW: i32 = 4096; // ranges per window (16 pages of 256)
const WINDOW_PAGES: u32 = 16;
const BINS: i32 = 4096; // bound >> 4

@external("env", "accept") declare function accept(doc: i32): i32;
@external("env", "now") declare function now(): f64;

// The segment (set once).
let numDocs: i32 = 0;
let numRanges: i32 = 0;
let stride: i32 = 0;
let fwdStart: usize = 0; // u32[numDocs + 1]
let fwdTerms: usize = 0; // u16[postings]
let fwdWeights: usize = 0; // f32[postings]
let rows: usize = 0; // u8[numRows * stride]
let nibbleRows: usize = 0; // u8[numNibbleRows * stride / 2]

// Scratch (set once).
let slotMap: usize = 0; // u16[numTerms]: term -> query slot + 1, 0 when not in the query
let slotWeight: usize = 0; // f64[slots + 1], indexed by slot + 1
let denseList: usize = 0; // per dense query term: u32 row byte offset, u32 bound weight
let nibbleList: usize = 0; // per 4-bit-row query term: u32 row byte offset, u32 bound weight
let rareList: usize = 0; // per rare query term: u32 entry ptr, u32 end ptr, u32 bound weight, u32 page
let bounds: usize = 0; // u16[WINDOW]
let candRange: usize = 0; // u32[stride]
let candBound: usize = 0; // u16[stride]
let order: usize = 0; // u32[stride]
let bins: usize = 0; // u32[BINS + 1]
let heapScore: usize = 0; // f64[maxK]
let heapDoc: usize = 0; // i32[maxK]
let refineList: usize = 0; // per refining term, 5 f64: row byte offset, kind, term, bound weight, level unit

// The query (set by search).
let heapK: i32 = 0;
let heapSize: i32 = 0;
let thrScale: f64 = 0; // bound units per score unit
let slackUnits: f64 = 0;
let thrUnits: f64 = -Infinity; // a range is visited when bound + slack >= thrUnits
let quantized: bool = false;
let quantStep: f64 = 0;
let maxImpact: f64 = 0;
let useFilter: bool = false;
let nRefine: i32 = 0;
let scoredPostings: i32 = 0;
let docsScored: i32 = 0;
let docsChecked: i32 = 0; // documents whose own bound was computed (docBelow)
let numCandidates: i32 = 0;
let timing: bool = false;
let tBounds: f64 = 0;
let tCollect: f64 = 0;
let tScore: f64 = 0;

export function setSegment(nDocs: i32, nRanges: i32, rowStride: i32, start: usize, termsPtr: usize, weightsPtr: usize, rowsPtr: usize, nibblePtr: usize): void {
  nibbleRows = nibblePtr;
  numDocs = nDocs;
  numRanges = nRanges;
  stride = rowStride;
  fwdStart = start;
  fwdTerms = termsPtr;
  fwdWeights = weightsPtr;
  rows = rowsPtr;
}

export function setScratch(
  slots: usize, weights: usize, dense: usize, nibble: usize, rare: usize, boundsPtr: usize, cr: usize, cb: usize, ord: usize, binsPtr: usize, hs: usize, hd: usize, refine: usize,
): void {
  refineList = refine;
  nibbleList = nibble;
  slotMap = slots;
  slotWeight = weights;
  denseList = dense;
  rareList = rare;
  bounds = boundsPtr;
  candRange = cr;
  candBound = cb;
  order = ord;
  bins = binsPtr;
  heapScore = hs;
  heapDoc = hd;
}

export function postingsScored(): i32 { return scoredPostings; }
export function candidates(): i32 { return numCandidates; }
export function docs(): i32 { return docsScored; }
export function checked(): i32 { return docsChecked; }
export function boundsMs(): f64 { return tBounds; }
export function collectMs(): f64 { return tCollect; }
export function scoreMs(): f64 { return tScore; }

/**
 * One query over the whole segment: bounds, collect, sort, score best-first. Returns the
 * number of hits left in the heap (heapScore/heapDoc, unordered).
 */
export function search(
  nDense: i32, nNibble: i32, nRare: i32, k: i32, collectUnits: i32, scale: f64, slack: f64,
  quant: bool, inv: f64, maxImp: f64, filter: bool, time: bool, maxRanges: i32, refineTerms: i32,
): i32 {
  begin(k, scale, slack, quant, inv, maxImp, filter, time);
  nRefine = refineTerms;
  let nc: i32 = 0;
  const cu = i16x8.splat(<i16>collectUnits);
  for (let w0: i32 = 0; w0 < numRanges; w0 += WINDOW) {
    let t0: f64 = 0;
    if (timing) t0 = now();
    windowBounds(w0, nDense, nNibble, nRare, (<u32>w0 >> 8) + WINDOW_PAGES, <u32>w0 >> 8);
    let t1: f64 = 0;
    if (timing) { t1 = now(); tBounds += t1 - t0; }
    // Few ranges reach the threshold (under 2% at 1M documents): one test per 32 ranges on their
    // largest bound, and only a group that has one is looked at range by range.
    for (let g: i32 = 0; g < WINDOW; g += 32) {
      const gp = bounds + (<usize>g << 1);
      const top = i16x8.max_u(i16x8.max_u(v128.load(gp), v128.load(gp, 16)), i16x8.max_u(v128.load(gp, 32), v128.load(gp, 48)));
      if (!v128.any_true(i16x8.ge_u(top, cu))) continue;
      for (let x: i32 = g; x < g + 32; x += 8) {
        let mask = i16x8.bitmask(i16x8.ge_u(v128.load(bounds + (<usize>x << 1)), cu));
        while (mask != 0) {
          const b = ctz<i32>(mask);
          mask &= mask - 1;
          store<u32>(candRange + (<usize>nc << 2), w0 + x + b);
          store<u16>(candBound + (<usize>nc << 1), load<u16>(bounds + (<usize>(x + b) << 1)));
          nc++;
        }
      }
    }
    if (timing) tCollect += now() - t1;
  }
  numCandidates = nc;
  let t2: f64 = 0;
  if (timing) t2 = now();
  sortByBound(nc);
  let t3: f64 = 0;
  if (timing) { t3 = now(); tCollect += t3 - t2; }
  // maxRanges > 0 (approximate mode): stop after scoring that many ranges, best first.
  let left: i32 = maxRanges > 0 ? maxRanges : nc;
  for (let j: i32 = 0; j < nc && left > 0; j++) {
    const c = load<u32>(order + (<usize>j << 2));
    const b = <i32>load<u16>(candBound + (<usize>c << 1));
    // Bins hold bounds b with b >> 4 equal: when the bin's largest cannot reach, nothing after can.
    if (<f64>(b | 15) + slackUnits < thrUnits) break;
    if (<f64>b + slackUnits < thrUnits) continue;
    if (j + 1 < nc) touchRange(<i32>load<u32>(candRange + (<usize>load<u32>(order + (<usize>(j + 1) << 2)) << 2)));
    scoreRange(<i32>load<u32>(candRange + (<usize>c << 2)), b);
    left--;
  }
  if (timing) tScore += now() - t3;
  return heapSize;
}

/** Scores every document, no pruning: for queries whose negative terms need it. */
export function scanAll(k: i32, quant: bool, inv: f64, maxImp: f64, filter: bool): i32 {
  begin(k, 0, 0, quant, inv, maxImp, filter, false);
  nRefine = 0;
  for (let r: i32 = 0; r < numRanges; r++) scoreRange(r, 65535);
  return heapSize;
}

function begin(k: i32, scale: f64, slack: f64, quant: bool, inv: f64, maxImp: f64, filter: bool, time: bool): void {
  heapK = k;
  heapSize = 0;
  thrScale = scale;
  slackUnits = slack;
  thrUnits = -Infinity;
  quantized = quant;
  quantStep = inv;
  maxImpact = maxImp;
  useFilter = filter;
  scoredPostings = 0;
  docsScored = 0;
  docsChecked = 0;
  numCandidates = 0;
  timing = time;
  tBounds = 0;
  tCollect = 0;
  tScore = 0;
}

/** bounds[r - w0] = saturating sum over query terms of weight * level, for one window. */
function windowBounds(w0: i32, nDense: i32, nNibble: i32, nRare: i32, pageEnd: u32, pageStart: u32): void {
  memory.fill(bounds, 0, <usize>WINDOW << 1);
  let j: i32 = 0;
  // Eight u8 rows per pass while there are (exact queries read ~7 on 1M documents): half the
  // loads and stores of the window's bounds per row of the four-row pass.
  for (; j + 8 <= nDense; j += 8) {
    const e = denseList + (<usize>j << 3);
    const r0 = rows + <usize>load<u32>(e) + <usize>w0;
    const r1 = rows + <usize>load<u32>(e, 8) + <usize>w0;
    const r2 = rows + <usize>load<u32>(e, 16) + <usize>w0;
    const r3 = rows + <usize>load<u32>(e, 24) + <usize>w0;
    const r4 = rows + <usize>load<u32>(e, 32) + <usize>w0;
    const r5 = rows + <usize>load<u32>(e, 40) + <usize>w0;
    const r6 = rows + <usize>load<u32>(e, 48) + <usize>w0;
    const r7 = rows + <usize>load<u32>(e, 56) + <usize>w0;
    const m0 = i8x16.splat(<i8>load<u32>(e, 4));
    const m1 = i8x16.splat(<i8>load<u32>(e, 12));
    const m2 = i8x16.splat(<i8>load<u32>(e, 20));
    const m3 = i8x16.splat(<i8>load<u32>(e, 28));
    const m4 = i8x16.splat(<i8>load<u32>(e, 36));
    const m5 = i8x16.splat(<i8>load<u32>(e, 44));
    const m6 = i8x16.splat(<i8>load<u32>(e, 52));
    const m7 = i8x16.splat(<i8>load<u32>(e, 60));
    for (let x: usize = 0; x < <usize>WINDOW; x += 16) {
      const bp = bounds + (x << 1);
      let lo = v128.load(bp);
      let hi = v128.load(bp, 16);
      lo = denseLow(lo, v128.load(r0 + x), m0); hi = denseHigh(hi, v128.load(r0 + x), m0);
      lo = denseLow(lo, v128.load(r1 + x), m1); hi = denseHigh(hi, v128.load(r1 + x), m1);
      lo = denseLow(lo, v128.load(r2 + x), m2); hi = denseHigh(hi, v128.load(r2 + x), m2);
      lo = denseLow(lo, v128.load(r3 + x), m3); hi = denseHigh(hi, v128.load(r3 + x), m3);
      lo = denseLow(lo, v128.load(r4 + x), m4); hi = denseHigh(hi, v128.load(r4 + x), m4);
      lo = denseLow(lo, v128.load(r5 + x), m5); hi = denseHigh(hi, v128.load(r5 + x), m5);
      lo = denseLow(lo, v128.load(r6 + x), m6); hi = denseHigh(hi, v128.load(r6 + x), m6);
      lo = denseLow(lo, v128.load(r7 + x), m7); hi = denseHigh(hi, v128.load(r7 + x), m7);
      v128.store(bp, lo);
      v128.store(bp, hi, 16);
    }
  }
  for (; j + 4 <= nDense; j += 4) {
    const e = denseList + (<usize>j << 3);
    const r0 = rows + <usize>load<u32>(e) + <usize>w0;
    const r1 = rows + <usize>load<u32>(e, 8) + <usize>w0;
    const r2 = rows + <usize>load<u32>(e, 16) + <usize>w0;
    const r3 = rows + <usize>load<u32>(e, 24) + <usize>w0;
    const m0 = i8x16.splat(<i8>load<u32>(e, 4));
    const m1 = i8x16.splat(<i8>load<u32>(e, 12));
    const m2 = i8x16.splat(<i8>load<u32>(e, 20));
    const m3 = i8x16.splat(<i8>load<u32>(e, 28));
    for (let x: usize = 0; x < <usize>WINDOW; x += 16) {
      const bp = bounds + (x << 1);
      let lo = v128.load(bp);
      let hi = v128.load(bp, 16);
      let v = v128.load(r0 + x);
      lo = i16x8.add_sat_u(lo, i16x8.extmul_low_i8x16_u(v, m0));
      hi = i16x8.add_sat_u(hi, i16x8.extmul_high_i8x16_u(v, m0));
      v = v128.load(r1 + x);
      lo = i16x8.add_sat_u(lo, i16x8.extmul_low_i8x16_u(v, m1));
      hi = i16x8.add_sat_u(hi, i16x8.extmul_high_i8x16_u(v, m1));
      v = v128.load(r2 + x);
      lo = i16x8.add_sat_u(lo, i16x8.extmul_low_i8x16_u(v, m2));
      hi = i16x8.add_sat_u(hi, i16x8.extmul_high_i8x16_u(v, m2));
      v = v128.load(r3 + x);
      lo = i16x8.add_sat_u(lo, i16x8.extmul_low_i8x16_u(v, m3));
      hi = i16x8.add_sat_u(hi, i16x8.extmul_high_i8x16_u(v, m3));
      v128.store(bp, lo);
      v128.store(bp, hi, 16);
    }
  }
  for (; j + 2 <= nDense; j += 2) {
    const e = denseList + (<usize>j << 3);
    const r0 = rows + <usize>load<u32>(e) + <usize>w0;
    const r1 = rows + <usize>load<u32>(e, 8) + <usize>w0;
    const m0 = i8x16.splat(<i8>load<u32>(e, 4));
    const m1 = i8x16.splat(<i8>load<u32>(e, 12));
    for (let x: usize = 0; x < <usize>WINDOW; x += 16) {
      const bp = bounds + (x << 1);
      const v = v128.load(r0 + x);
      const u = v128.load(r1 + x);
      v128.store(bp, i16x8.add_sat_u(i16x8.add_sat_u(v128.load(bp), i16x8.extmul_low_i8x16_u(v, m0)), i16x8.extmul_low_i8x16_u(u, m1)));
      v128.store(bp, i16x8.add_sat_u(i16x8.add_sat_u(v128.load(bp, 16), i16x8.extmul_high_i8x16_u(v, m0)), i16x8.extmul_high_i8x16_u(u, m1)), 16);
    }
  }
  for (; j < nDense; j++) {
    const e = denseList + (<usize>j << 3);
    const r0 = rows + <usize>load<u32>(e) + <usize>w0;
    const m0 = i8x16.splat(<i8>load<u32>(e, 4));
    for (let x: usize = 0; x < <usize>WINDOW; x += 16) {
      const bp = bounds + (x << 1);
      const v = v128.load(r0 + x);
      v128.store(bp, i16x8.add_sat_u(v128.load(bp), i16x8.extmul_low_i8x16_u(v, m0)));
      v128.store(bp, i16x8.add_sat_u(v128.load(bp, 16), i16x8.extmul_high_i8x16_u(v, m0)), 16);
    }
  }
  // 4-bit rows: 16 bytes hold 32 ranges (low nibbles the first 16, high nibbles the next 16).
  // Decoding costs more than the bytes it reads, so four rows share one pass over the bounds.
  const low = i8x16.splat(15);
  let n: i32 = 0;
  for (; n + 4 <= nNibble; n += 4) {
    const e = nibbleList + (<usize>n << 3);
    const r0 = nibbleRows + <usize>load<u32>(e) + (<usize>w0 >> 1);
    const r1 = nibbleRows + <usize>load<u32>(e, 8) + (<usize>w0 >> 1);
    const r2 = nibbleRows + <usize>load<u32>(e, 16) + (<usize>w0 >> 1);
    const r3 = nibbleRows + <usize>load<u32>(e, 24) + (<usize>w0 >> 1);
    const m0 = i16x8.splat(<i16>load<u32>(e, 4));
    const m1 = i16x8.splat(<i16>load<u32>(e, 12));
    const m2 = i16x8.splat(<i16>load<u32>(e, 20));
    const m3 = i16x8.splat(<i16>load<u32>(e, 28));
    for (let x: usize = 0; x < <usize>WINDOW; x += 32) {
      const bp = bounds + (x << 1);
      let b0 = v128.load(bp);
      let b1 = v128.load(bp, 16);
      let b2 = v128.load(bp, 32);
      let b3 = v128.load(bp, 48);
      let v = v128.load(r0 + (x >> 1));
      b0 = nibbleLow(b0, v, m0, low);
      b1 = nibbleLowHigh(b1, v, m0, low);
      b2 = nibbleHigh(b2, v, m0, low);
      b3 = nibbleHighHigh(b3, v, m0, low);
      v = v128.load(r1 + (x >> 1));
      b0 = nibbleLow(b0, v, m1, low);
      b1 = nibbleLowHigh(b1, v, m1, low);
      b2 = nibbleHigh(b2, v, m1, low);
      b3 = nibbleHighHigh(b3, v, m1, low);
      v = v128.load(r2 + (x >> 1));
      b0 = nibbleLow(b0, v, m2, low);
      b1 = nibbleLowHigh(b1, v, m2, low);
      b2 = nibbleHigh(b2, v, m2, low);
      b3 = nibbleHighHigh(b3, v, m2, low);
      v = v128.load(r3 + (x >> 1));
      b0 = nibbleLow(b0, v, m3, low);
      b1 = nibbleLowHigh(b1, v, m3, low);
      b2 = nibbleHigh(b2, v, m3, low);
      b3 = nibbleHighHigh(b3, v, m3, low);
      v128.store(bp, b0);
      v128.store(bp, b1, 16);
      v128.store(bp, b2, 32);
      v128.store(bp, b3, 48);
    }
  }
  for (; n + 2 <= nNibble; n += 2) {
    const e = nibbleList + (<usize>n << 3);
    const r0 = nibbleRows + <usize>load<u32>(e) + (<usize>w0 >> 1);
    const r1 = nibbleRows + <usize>load<u32>(e, 8) + (<usize>w0 >> 1);
    const m0 = i16x8.splat(<i16>load<u32>(e, 4));
    const m1 = i16x8.splat(<i16>load<u32>(e, 12));
    for (let x: usize = 0; x < <usize>WINDOW; x += 32) {
      const bp = bounds + (x << 1);
      const v = v128.load(r0 + (x >> 1));
      const u = v128.load(r1 + (x >> 1));
      v128.store(bp, nibbleLow(nibbleLow(v128.load(bp), v, m0, low), u, m1, low));
      v128.store(bp, nibbleLowHigh(nibbleLowHigh(v128.load(bp, 16), v, m0, low), u, m1, low), 16);
      v128.store(bp, nibbleHigh(nibbleHigh(v128.load(bp, 32), v, m0, low), u, m1, low), 32);
      v128.store(bp, nibbleHighHigh(nibbleHighHigh(v128.load(bp, 48), v, m0, low), u, m1, low), 48);
    }
  }
  for (; n < nNibble; n++) {
    const e = nibbleList + (<usize>n << 3);
    const r0 = nibbleRows + <usize>load<u32>(e) + (<usize>w0 >> 1);
    const m0 = i16x8.splat(<i16>load<u32>(e, 4));
    for (let x: usize = 0; x < <usize>WINDOW; x += 32) {
      const bp = bounds + (x << 1);
      const v = v128.load(r0 + (x >> 1));
      v128.store(bp, nibbleLow(v128.load(bp), v, m0, low));
      v128.store(bp, nibbleLowHigh(v128.load(bp, 16), v, m0, low), 16);
      v128.store(bp, nibbleHigh(v128.load(bp, 32), v, m0, low), 32);
      v128.store(bp, nibbleHighHigh(v128.load(bp, 48), v, m0, low), 48);
    }
  }
  for (let i: i32 = 0; i < nRare; i++) {
    const e = rareList + (<usize>i << 4);
    let p = <usize>load<u32>(e);
    const end = <usize>load<u32>(e, 4);
    const w = load<u32>(e, 8);
    let page = load<u32>(e, 12);
    // A marker may have moved the term past this window (page >= pageEnd): its next entries wait.
    if (page >= pageEnd) continue;
    // Branch-free: a marker (level 0) adds 0 to a slot of the current page and moves the page;
    // only leaving the window is a branch, and it is rarely taken.
    while (p < end) {
      const v = <u32>load<u16>(p);
      const level = v >> 8;
      p += 2;
      const at = bounds + (<usize>(((page - pageStart) << 8) | (v & 255)) << 1);
      const s = <u32>load<u16>(at) + w * level;
      store<u16>(at, s > 65535 ? 65535 : s);
      page += select<u32>((v & 255) + 1, 0, level == 0);
      if (page >= pageEnd) break;
    }
    store<u32>(e, <u32>p);
    store<u32>(e, page, 12);
  }
}

// One u8 row's 16 bytes (16 ranges) into the bounds of ranges 0-7 and 8-15: saturating b + weight * level.
@inline function denseLow(b: v128, v: v128, m: v128): v128 {
  return i16x8.add_sat_u(b, i16x8.extmul_low_i8x16_u(v, m));
}
@inline function denseHigh(b: v128, v: v128, m: v128): v128 {
  return i16x8.add_sat_u(b, i16x8.extmul_high_i8x16_u(v, m));
}

// One 4-bit row's 16 bytes (32 ranges) into the bounds of ranges 0-7, 8-15 (low nibbles) and
// 16-23, 24-31 (high nibbles) of the group: saturating b + weight * level. The high nibble is
// taken with a 16-bit shift and a mask (an 8-bit shift has no x86 instruction: V8 emulates it).
@inline function nibbleLow(b: v128, v: v128, m: v128, low: v128): v128 {
  return i16x8.add_sat_u(b, i16x8.mul(i16x8.extend_low_i8x16_u(v128.and(v, low)), m));
}
@inline function nibbleLowHigh(b: v128, v: v128, m: v128, low: v128): v128 {
  return i16x8.add_sat_u(b, i16x8.mul(i16x8.extend_high_i8x16_u(v128.and(v, low)), m));
}
@inline function nibbleHigh(b: v128, v: v128, m: v128, low: v128): v128 {
  return i16x8.add_sat_u(b, i16x8.mul(i16x8.extend_low_i8x16_u(v128.and(i16x8.shr_u(v, 4), low)), m));
}
@inline function nibbleHighHigh(b: v128, v: v128, m: v128, low: v128): v128 {
  return i16x8.add_sat_u(b, i16x8.mul(i16x8.extend_high_i8x16_u(v128.and(i16x8.shr_u(v, 4), low)), m));
}

/** Counting sort of the candidates by bound >> 4, best first, into order[]. */
function sortByBound(nc: i32): void {
  memory.fill(bins, 0, <usize>(BINS + 1) << 2);
  for (let c: i32 = 0; c < nc; c++) {
    const a = bins + (<usize>(BINS - 1 - (<i32>load<u16>(candBound + (<usize>c << 1)) >> 4)) << 2);
    store<u32>(a, load<u32>(a) + 1);
  }
  let sum: u32 = 0;
  for (let b: i32 = 0; b < BINS; b++) {
    const a = bins + (<usize>b << 2);
    const n = load<u32>(a);
    store<u32>(a, sum);
    sum += n;
  }
  for (let c: i32 = 0; c < nc; c++) {
    const a = bins + (<usize>(BINS - 1 - (<i32>load<u16>(candBound + (<usize>c << 1)) >> 4)) << 2);
    const at = load<u32>(a);
    store<u32>(a, at + 1);
    store<u32>(order + (<usize>at << 2), c);
  }
}

let sink: u32 = 0;

/**
 * Loads one word of every cache line the next range's forward entries span, so that their
 * misses overlap the scoring of this range (wasm has no prefetch instruction; the sum keeps the
 * loads alive).
 */
function touchRange(r: i32): void {
  const d = r << 2;
  let end = d + 4;
  if (end > numDocs) end = numDocs;
  const i = load<u32>(fwdStart + (<usize>d << 2));
  const e = load<u32>(fwdStart + (<usize>end << 2));
  let acc: u32 = 0;
  for (let a = fwdTerms + (<usize>i << 1), z = fwdTerms + (<usize>e << 1); a < z; a += 64) acc += load<u8>(a);
  for (let a = fwdWeights + (<usize>i << 2), z = fwdWeights + (<usize>e << 2); a < z; a += 64) acc += load<u8>(a);
  sink += acc;
}

/** Math.round for x >= 0 (ties up), which f64.nearest (ties to even) is not. */
@inline function roundHalfUp(x: f64): f64 {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

/**
 * Scores range r's documents; `bound` is the range's bound (65535: saturated or unknown). Once the
 * heap is full, a document is first checked against its own bound (docBelow), and skipped when
 * that cannot reach the threshold.
 */
function scoreRange(r: i32, bound: i32): void {
  let d = r << 2;
  let end = d + 4;
  if (end > numDocs) end = numDocs;
  const refine = nRefine > 0 && bound < 65535;
  for (; d < end; d++) {
    let i = load<u32>(fwdStart + (<usize>d << 2));
    const e = load<u32>(fwdStart + (<usize>(d + 1) << 2));
    if (refine && heapSize == heapK) {
      docsChecked++;
      if (docBelow(r, i, e, bound)) continue;
    }
    scoredPostings += <i32>(e - i);
    let s: f64 = 0;
    let matched = false;
    for (; i < e; i++) {
      const slot = <usize>load<u16>(slotMap + (<usize>load<u16>(fwdTerms + (<usize>i << 1)) << 1));
      if (slot != 0) {
        matched = true;
        let w = <f64>load<f32>(fwdWeights + (<usize>i << 2));
        if (quantized) {
          w = roundHalfUp(w / quantStep);
          if (w > maxImpact) w = maxImpact;
        }
        s += load<f64>(slotWeight + (slot << 3)) * w;
      }
    }
    docsScored++;
    if (!matched) continue;
    if (heapSize == heapK && worse(s, d, load<f64>(heapScore), load<i32>(heapDoc))) continue;
    if (useFilter && accept(d) == 0) continue;
    offer(d, s);
  }
}

/**
 * Whether the document whose entries are [i, e) in range r surely cannot reach the threshold:
 * its range's bound with each refining term's range level replaced by the document's own level
 * of that term (range-query.ts), the heaviest term first, stopping as soon as it falls below.
 */
function docBelow(r: i32, i: u32, e: u32, bound: i32): bool {
  let b = bound;
  // The threshold may have risen past the range's own bound while its earlier documents were scored.
  if (<f64>b + slackUnits < thrUnits) return true;
  for (let j: i32 = 0; j < nRefine; j++) {
    const en = refineList + <usize>j * 40;
    const off = <usize>load<f64>(en);
    const dense = load<f64>(en, 8) == 0;
    let level: i32;
    if (dense) level = <i32>load<u8>(rows + off + <usize>r);
    else {
      const v = <i32>load<u8>(nibbleRows + off + (<usize>(r >> 5) << 4) + <usize>(r & 15));
      level = r & 16 ? v >> 4 : v & 15;
    }
    if (level == 0) continue;
    const w = weightIn(i, e, <u32>load<f64>(en, 16));
    let own: i32 = 0;
    if (w > 0) {
      const unit = load<f64>(en, 32);
      const x = dense ? Math.ceil(w * unit) : Math.ceil(w / unit);
      own = x < 1 ? 1 : x >= <f64>level ? level : <i32>x;
    }
    b -= <i32>load<f64>(en, 24) * (level - own);
    if (<f64>b + slackUnits < thrUnits) return true;
  }
  return false;
}

/** The weight of term t in the entries [i, e) (sorted by term), 0 when absent: 8 terms per SIMD compare. */
function weightIn(i: u32, e: u32, t: u32): f64 {
  const tv = i16x8.splat(<i16>t);
  let p = i;
  for (; p + 8 <= e; p += 8) {
    const m = i16x8.bitmask(i16x8.eq(v128.load(fwdTerms + (<usize>p << 1)), tv));
    if (m != 0) return <f64>load<f32>(fwdWeights + (<usize>(p + <u32>ctz<i32>(m)) << 2));
    if (<u32>load<u16>(fwdTerms + (<usize>(p + 7) << 1)) > t) return 0;
  }
  for (; p < e; p++) {
    const x = <u32>load<u16>(fwdTerms + (<usize>p << 1));
    if (x == t) return <f64>load<f32>(fwdWeights + (<usize>p << 2));
    if (x > t) return 0;
  }
  return 0;
}

@inline function worse(sa: f64, da: i32, sb: f64, db: i32): bool {
  return sa < sb || (sa == sb && da > db);
}

/** Keeps the k best (heap with the worst kept hit at the root), and the pruning threshold. */
function offer(doc: i32, score: f64): void {
  if (heapSize < heapK) {
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = load<f64>(heapScore + (<usize>parent << 3));
      const pd = load<i32>(heapDoc + (<usize>parent << 2));
      if (!worse(score, doc, ps, pd)) break;
      store<f64>(heapScore + (<usize>i << 3), ps);
      store<i32>(heapDoc + (<usize>i << 2), pd);
      i = parent;
    }
    store<f64>(heapScore + (<usize>i << 3), score);
    store<i32>(heapDoc + (<usize>i << 2), doc);
  } else {
    const n = heapSize;
    let i: i32 = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let cs = load<f64>(heapScore + (<usize>c << 3));
      let cd = load<i32>(heapDoc + (<usize>c << 2));
      if (c + 1 < n) {
        const s2 = load<f64>(heapScore + (<usize>(c + 1) << 3));
        const d2 = load<i32>(heapDoc + (<usize>(c + 1) << 2));
        if (worse(s2, d2, cs, cd)) { c++; cs = s2; cd = d2; }
      }
      if (!worse(cs, cd, score, doc)) break;
      store<f64>(heapScore + (<usize>i << 3), cs);
      store<i32>(heapDoc + (<usize>i << 2), cd);
      i = c;
    }
    store<f64>(heapScore + (<usize>i << 3), score);
    store<i32>(heapDoc + (<usize>i << 2), doc);
  }
  if (heapSize == heapK) {
    const t = load<f64>(heapScore) * thrScale;
    thrUnits = t > 65535 ? 65535 : t;
  }
}
