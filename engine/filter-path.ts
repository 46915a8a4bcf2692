/**
 * Field names in filters are dotted paths into a document's metadata:
 *
 * - A key of the metadata map spelled exactly as the field name wins: {"a.b": 1} is matched by
 *   the field "a.b" as it is (so keys that contain dots keep working as plain field names).
 * - Otherwise the name splits at each dot and walks nested maps: "source.site" reads
 *   metadata.source.site. It never walks into arrays, and a part that is missing, or a value on
 *   the way that is not a map, makes the field missing.
 * - Inside a part, `\.` is a literal dot and `\\` a literal backslash: "a.b\.c" reads
 *   metadata.a["b.c"]. A name with an empty part ("a..b", ".a", "a.") only matches its exact key.
 *
 * Only own properties are read, never inherited ones ("constructor", "__proto__").
 */

/** Reads one field of a metadata value: the field's value, or undefined when it is missing. */
export type FieldReader = (metadata: unknown) => unknown;

/** A metadata map (not an array, not binary). */
export function isMap(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/** An own property's value (never one inherited, such as "__proto__"'s). */
export function own(m: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(m, key) ? m[key] : undefined;
}

/** The parts of a dotted path with escapes resolved, or null when a part is empty. */
export function splitFieldPath(field: string): string[] | null {
  const parts: string[] = [];
  let part = "";
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === "\\" && (field[i + 1] === "." || field[i + 1] === "\\")) {
      part += field[++i]!;
    } else if (c === ".") {
      if (part.length === 0) return null;
      parts.push(part);
      part = "";
    } else part += c;
  }
  if (part.length === 0) return null;
  parts.push(part);
  return parts;
}

/** A reader for `field` (compiled once per filter, run per document). */
export function fieldReader(field: string): FieldReader {
  const parts = splitFieldPath(field);
  // A plain name (no dot, no escape) reads one key.
  if (parts === null || (parts.length === 1 && parts[0] === field)) {
    return (m) => (isMap(m) ? own(m, field) : undefined);
  }
  return (m) => {
    if (!isMap(m)) return undefined;
    if (Object.prototype.hasOwnProperty.call(m, field)) return m[field];
    let v: unknown = m;
    for (const p of parts) {
      if (!isMap(v)) return undefined;
      v = own(v, p);
    }
    return v;
  };
}
