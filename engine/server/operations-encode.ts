import type { EncodedText } from "../encode-text.js";
import { checkEncode } from "../validate-request.js";
import { f64 } from "./msgpack-writer.js";
import type { OperationContext } from "./operations.js";
import { requireString } from "./wire-values.js";

/**
 * `encode {collection, text, role?}`: the collection's encoder's vector for a text, as tokens
 * (PROTOCOL.md). Checked by the library's rule (checkEncode); weights go out as float64.
 */
export const ENCODE_OPERATIONS = {
  async encode(args: Record<string, unknown>, ctx: OperationContext): Promise<unknown> {
    const c = await ctx.db.collection(requireString(args, "collection", 64));
    const r = checkEncode(args.text, { role: args.role });
    return encodedToWire(await c.encode(r.text, { role: r.role }));
  },
};

function encodedToWire(e: EncodedText): unknown {
  const out: Record<string, unknown> = {
    role: e.role,
    nnz: e.nnz,
    tokens: e.tokens.map((t) => ({ ...t, weight: f64(t.weight) })),
  };
  if (e.expansionTerms !== undefined) out.expansionTerms = e.expansionTerms;
  return out;
}
