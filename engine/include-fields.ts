import type { CheckedInclude } from "./validate-request.js";

/**
 * Applies a request's `include` (engine/requests.ts IncludeOptions, checked by
 * validate-request.ts's checkInclude) to one hit or document: its metadata whole, cut to the
 * named top-level fields, or left out; its stored text or not. The values are read through
 * callbacks so that what is not asked for is never decoded.
 */
export function addIncluded(out: { metadata?: unknown; text?: string }, include: CheckedInclude, metadata: () => unknown, text: () => string | null): void {
  if (include.metadata !== false) out.metadata = pickFields(metadata(), include.metadata);
  if (include.text) {
    const t = text();
    if (t !== null) out.text = t;
  }
}

/** The named top-level fields of a metadata map (those it has); everything when `fields` is true. */
export function pickFields(metadata: unknown, fields: true | string[]): unknown {
  if (fields === true || metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return metadata;
  const m = metadata as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (Object.prototype.hasOwnProperty.call(m, f)) out[f] = m[f];
  return out;
}
