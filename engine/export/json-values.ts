/**
 * Numbers and metadata as the export formats write them. Weights are float32 values: they are
 * written in the fewest digits that parse back to the same float32, so an export is exact and no
 * longer than it needs to be.
 */

/** The shortest decimal that rounds (as float32) back to `w`, a float32 value. */
export function float32Text(w: number): string {
  if (!Number.isFinite(w)) throw new RangeError(`weight ${w} is not finite`);
  for (let p = 6; p < 9; p++) {
    const n = Number(w.toPrecision(p));
    if (Math.fround(n) === w) return String(n);
  }
  return String(Number(w.toPrecision(9))); // 9 significant digits always identify a float32
}

/** Whether JSON.stringify keeps `value` exactly (no binary, no non-finite numbers, no -0). */
export function isExactJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isExactJson);
  if (typeof value === "object" && !(value instanceof Uint8Array)) return Object.values(value as object).every(isExactJson);
  return false;
}

/**
 * Metadata for a foreign engine's JSON: binary values become base64 strings and non-finite
 * numbers null (JSON has neither); everything else as it is.
 */
export function foreignJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(foreignJson);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = foreignJson(v);
    return out;
  }
  return value;
}
