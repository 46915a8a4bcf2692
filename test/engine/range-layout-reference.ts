import type { ForwardIndex } from "../../engine/index/forward-index.js";
import {
  KTH_RANKS,
  LEVELS,
  levelOf,
  levelStep,
  MIN_DENSE_DF,
  DENSE_DF_FRACTION,
  NIBBLE_DF_FRACTION,
  NIBBLE_LEVELS,
  PAGE_RANGES,
  RANGE_DOCS,
  RANGE_SHIFT,
  WINDOW_RANGES,
  type RangeLayoutArrays,
  type RangeLayoutOptions,
} from "../../engine/index/range-layout.js";

/**
 * The range layout's arrays built the straightforward way: the doc-major builder that
 * engine/index/range-layout.ts used before its term-major rewrite (issue 14), kept verbatim as
 * the reference the property test (range-layout-build.test.ts) holds the product builder to,
 * array by array and bit by bit.
 */

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

export function referenceRangeArrays(forward: ForwardIndex, maxWeight: number, numTerms: number, options: RangeLayoutOptions): RangeLayoutArrays {
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
