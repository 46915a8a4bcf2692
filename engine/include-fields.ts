import { fieldReader, isMap, own, splitFieldPath } from "./filter-path.js";
import type { CheckedInclude } from "./validate-request.js";

/**
 * Applies a request's `include` (engine/requests.ts IncludeOptions, checked by
 * validate-request.ts's checkInclude) to one hit or document: its metadata whole, cut to the
 * named fields (dotted paths reach nested ones), or left out; its stored text or not. The values are read through
 * callbacks so that what is not asked for is never decoded.
 */
export function addIncluded(out: { metadata?: unknown; text?: string }, include: CheckedInclude, metadata: () => unknown, text: () => string | null): void {
  if (include.metadata !== false) out.metadata = pickFields(metadata(), include.metadata);
  if (include.text) {
    const t = text();
    if (t !== null) out.text = t;
  }
}

/**
 * The named fields of a metadata map (those it has); everything when `fields` is true. A name is
 * read as a filter reads it (engine/filter-path.ts): a key spelled exactly as the name wins,
 * else a dotted path walks nested maps, and the value comes back at its place in a nested map
 * (`"source.site"` gives `{source: {site}}`), so several paths under one map share it and a
 * field asked for whole contains the paths inside it. The stored metadata is never modified:
 * the maps on the way are new ones.
 */
export function pickFields(metadata: unknown, fields: true | string[]): unknown {
  if (fields === true || !isMap(metadata)) return metadata;
  const out: Record<string, unknown> = {};
  const made = new Set<object>(); // the maps built here (a value copied whole is never written into)
  for (const f of fields) {
    const parts = Object.prototype.hasOwnProperty.call(metadata, f) ? [f] : splitFieldPath(f);
    if (parts === null) continue;
    const value = fieldReader(f)(metadata);
    if (value === undefined) continue;
    let at: Record<string, unknown> | null = out;
    for (const part of parts.slice(0, -1)) {
      const next = own(at, part);
      if (next !== undefined && !made.has(next as object)) {
        at = null; // an enclosing field came whole: it holds this one already
        break;
      }
      if (next === undefined) {
        const m: Record<string, unknown> = {};
        made.add(m);
        setOwn(at, part, m);
      }
      at = at[part] as Record<string, unknown>;
    }
    if (at !== null) setOwn(at, parts[parts.length - 1]!, value);
  }
  return out;
}

/** Sets an own property, even one named "__proto__" (plain assignment would set the prototype). */
function setOwn(m: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(m, key, { value, enumerable: true, writable: true, configurable: true });
}
