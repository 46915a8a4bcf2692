import type { CorpusStatistics } from "./corpus-statistics.js";
import { idHash } from "./id-hash.js";
import type { LiveSegment } from "./live-segment.js";
import type { Memtable } from "./memtable.js";
import type { StoredDoc } from "./wal-records.js";

/** The live documents a write changes: where each id's current version may be. */
export interface LiveDocuments {
  memtable: Memtable;
  /** Memtables being built into segments: still searched, still take deletions. */
  flushingMemtables: readonly Memtable[];
  segments: readonly LiveSegment[];
  statistics: CorpusStatistics;
}

/**
 * The one way a logged write changes the live documents, shared by the write path (after the log
 * holds the record) and by recovery's replay, so both build the same state, the corpus
 * statistics included: the old version of the id (wherever it is) is counted out, the new one in.
 */
export function applyUpsert(live: LiveDocuments, doc: StoredDoc): void {
  removeId(live, doc.id);
  live.memtable.put(doc);
  live.statistics.count(doc.terms, doc.length, 1);
}

/** Removes every live version of `id`; returns whether there was one. */
export function applyDelete(live: LiveDocuments, id: string): boolean {
  return removeId(live, id);
}

function removeId(live: LiveDocuments, id: string): boolean {
  let found = false;
  for (const m of [live.memtable, ...live.flushingMemtables]) {
    const old = m.get(id);
    if (old === undefined) continue;
    m.delete(id);
    live.statistics.count(old.terms, old.length, -1);
    found = true;
  }
  const hash = idHash(id);
  for (const s of live.segments) found = s.deleteId(id, hash, live.statistics) || found;
  return found;
}
