import type { CheckedSearch } from "../validate-request.js";
import { denseToBinary } from "../dense/dense-input.js";

/**
 * A checked search request as the wire carries it (PROTOCOL.md, "search"): every field the
 * library's checks kept, under its own name (the request shapes are the wire's), the vector as
 * parallel typed arrays (terms go out as integers, weights as float64), a token-keyed vector
 * (kept as tokens by a client, whose side has no vocabulary) as `vector: {tokens}` for the
 * server to map, absent ones left out.
 */
export function checkedSearchToWire(r: CheckedSearch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(r)) {
    if (value === undefined) continue;
    if (key === "tokens") out.vector = { tokens: value };
    else if (key === "dense") out.dense = denseToBinary(value as Float32Array);
    else out[key] = key === "vector" ? { terms: r.vector!.terms, weights: r.vector!.weights } : value;
  }
  return out;
}
