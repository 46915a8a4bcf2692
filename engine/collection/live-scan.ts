import { unpackValue } from "../../storage/msgpack.js";
import type { FilterPredicate } from "../filter.js";
import type { LiveState } from "./live-state.js";

/**
 * A pass over every live document's metadata, for the operations that select documents by a
 * filter rather than by id (count(filter), delete({filter})). Each id has one live version,
 * in the memtables or in one segment (apply-writes.ts removes the old one wherever it is), so
 * each is visited once. Synchronous: no write interleaves with it.
 */
export function forEachMatching(live: LiveState, accept: FilterPredicate, visit: (id: string) => void): void {
  for (const m of [live.memtable, ...live.flushingMemtables]) {
    for (const d of m.values()) if (accept(d.meta ? unpackValue(d.meta) : null)) visit(d.id);
  }
  for (const s of live.segments) {
    if (s.liveDocs === 0) continue;
    for (let d = 0; d < s.numDocs; d++) if (!s.isDeleted(d) && accept(s.metadata(d))) visit(s.idAt(d));
  }
}

export function countMatching(live: LiveState, accept: FilterPredicate): number {
  let n = 0;
  forEachMatching(live, accept, () => n++);
  return n;
}

export function matchingIds(live: LiveState, accept: FilterPredicate): string[] {
  const ids: string[] = [];
  forEachMatching(live, accept, (id) => ids.push(id));
  return ids;
}
