/**
 * setMetadata's merge rule: the patch's top-level fields replace the stored ones (shallowly: a
 * nested map given replaces the stored map whole), a field set to null is removed, fields the
 * patch does not name stay. A document without metadata starts from an empty map.
 */
export function mergeMetadata(stored: unknown, patch: Record<string, unknown>): Record<string, unknown> {
  const base = stored !== null && typeof stored === "object" && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}
