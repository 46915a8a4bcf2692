import type { Memtable } from "./memtable.js";
import type { SegmentReader } from "./segment-reader.js";

/**
 * The documents of a segment and of a memtable in external-id order (UTF-16 code-unit order,
 * JavaScript's `<` on strings), which scroll pages walk. Segments store their documents in
 * insertion order, so the order is derived on first use and cached, as the block inverted index
 * is: a segment is immutable, so its order is computed once per segment (O(n log n)) and every
 * later page starts with a binary search. A memtable's order is cached until an id it does not
 * hold yet is added (replacements and deletions keep it valid: a reader skips ids the memtable no
 * longer holds), so a scroll without writes in between sorts the memtable once; with writes
 * between pages each page re-sorts at most memtableMaxDocs ids.
 */

const segmentOrders = new WeakMap<SegmentReader, Uint32Array>();
const memtableOrders = new WeakMap<Memtable, { idsAdded: number; ids: string[] }>();

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The segment's doc numbers sorted by external id. */
export function segmentIdOrder(reader: SegmentReader): Uint32Array {
  let order = segmentOrders.get(reader);
  if (order === undefined) {
    const n = reader.numDocs;
    const ids = new Array<string>(n);
    for (let d = 0; d < n; d++) ids[d] = reader.idAt(d);
    const docs = Array.from({ length: n }, (_, d) => d);
    docs.sort((a, b) => compareIds(ids[a]!, ids[b]!));
    order = Uint32Array.from(docs);
    segmentOrders.set(reader, order);
  }
  return order;
}

/** The ids a memtable held when last sorted (a superset of its current ids), in order. */
export function memtableIdOrder(memtable: Memtable): string[] {
  const cached = memtableOrders.get(memtable);
  if (cached !== undefined && cached.idsAdded === memtable.idsAdded) return cached.ids;
  const ids: string[] = [];
  for (const d of memtable.values()) ids.push(d.id);
  ids.sort(compareIds);
  memtableOrders.set(memtable, { idsAdded: memtable.idsAdded, ids });
  return ids;
}

/** The first position in `0..n` whose id (through `idAt`) is greater than `after`. */
export function firstAfter(n: number, idAt: (position: number) => string, after: string): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (idAt(mid) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
