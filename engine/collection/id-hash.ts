/**
 * The persisted id -> doc lookup of a segment (section "ids.hash"; FORMAT.md): an open-addressing
 * table with linear probing, capacity a power of two >= 2n, slot value doc + 1 (0 = empty), slot of
 * an id = idHash(id) & (capacity - 1). Stored in the segment so that opening a million-document
 * segment does not rebuild a Map of a million strings.
 */

/** FNV-1a, 32-bit, over the UTF-16 code units of the id. */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function buildIdHash(idCount: number, idAt: (doc: number) => string): Uint32Array {
  let capacity = 2;
  while (capacity < idCount * 2) capacity *= 2;
  const table = new Uint32Array(capacity);
  const mask = capacity - 1;
  for (let d = 0; d < idCount; d++) {
    let slot = idHash(idAt(d)) & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = d + 1;
  }
  return table;
}

/** The doc holding `id` (whose idHash is `hash`), or -1. */
export function lookupId(table: Uint32Array, id: string, hash: number, idAt: (doc: number) => string): number {
  const mask = table.length - 1;
  let slot = hash & mask;
  for (let probes = 0; probes < table.length; probes++) {
    const v = table[slot]!;
    if (v === 0) return -1;
    if (idAt(v - 1) === id) return v - 1;
    slot = (slot + 1) & mask;
  }
  return -1;
}
