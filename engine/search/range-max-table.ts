import type { InvertedIndex } from "../index/inverted-index.js";
import { END, PostingCursor } from "./posting-cursor.js";

/** Documents per range: block-max pruning bounds ranges of 8 consecutive doc ids. */
export const RANGE_SHIFT = 3;
export const RANGE_SIZE = 1 << RANGE_SHIFT;

/**
 * Per-range maximum impacts for the common terms, the table behind block-max pruning (BMP):
 * for each term whose list covers at least 1/`denseFraction` (1/12) of the documents, one impact per
 * range of 8 doc ids (the largest of that term in the range, 0 where it is absent). Rarer terms
 * need no table: their short posting lists are summed into range bounds at query time.
 * Derived from the inverted index, so it is built in memory on first use and never stored.
 */
export class RangeMaxTable {
  readonly numRanges: number;
  /** Term -> its row in `maxima`, or -1 for a term without a row. */
  readonly row: Int32Array;
  readonly maxima: Uint8Array | Uint16Array;

  private constructor(numRanges: number, row: Int32Array, maxima: Uint8Array | Uint16Array) {
    this.numRanges = numRanges;
    this.row = row;
    this.maxima = maxima;
  }

  static build(index: InvertedIndex, denseFraction = 12): RangeMaxTable {
    const numRanges = Math.ceil(index.numDocs / RANGE_SIZE);
    const minDf = Math.max(1, Math.ceil(index.numDocs / denseFraction));
    const row = new Int32Array(index.numTerms).fill(-1);
    let rows = 0;
    for (let t = 0; t < index.numTerms; t++) if (index.docFreq(t) >= minDf) row[t] = rows++;
    const maxima = index.quantizer.bits <= 8 ? new Uint8Array(rows * numRanges) : new Uint16Array(rows * numRanges);
    for (let t = 0; t < index.numTerms; t++) {
      if (row[t]! < 0) continue;
      const base = row[t]! * numRanges;
      const c = new PostingCursor(index, t, 1);
      while (c.doc !== END) {
        const i = base + (c.doc >>> RANGE_SHIFT);
        const imp = c.impact();
        if (imp > maxima[i]!) maxima[i] = imp;
        c.next();
      }
    }
    return new RangeMaxTable(numRanges, row, maxima);
  }

  byteLength(): number {
    return this.row.byteLength + this.maxima.byteLength;
  }

  /** Per-query scratch, reused: a search runs synchronously, one at a time per thread. */
  readonly scratch = { bounds: new Int32Array(0), order: new Uint32Array(0) };
}

const tables = new WeakMap<InvertedIndex, RangeMaxTable>();

/** The index's range-max table, built on first use and kept as long as the index lives. */
export function rangeMaxTable(index: InvertedIndex): RangeMaxTable {
  let t = tables.get(index);
  if (t === undefined) {
    t = RangeMaxTable.build(index);
    tables.set(index, t);
  }
  return t;
}

/** Bytes of the range-max table if it has been built for this index, else 0. */
export function rangeMaxBytes(index: InvertedIndex): number {
  return tables.get(index)?.byteLength() ?? 0;
}
