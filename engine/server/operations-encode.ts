import type { EncodedText } from "../encode-text.js";
import { checkEncode } from "../validate-request.js";
import { f64 } from "./msgpack-writer.js";
import type { OperationContext } from "./operations.js";
import { requireString } from "./wire-values.js";

/**
 * The collection's tokens over the wire. `encode {collection, text, role?}`: the collection's encoder's vector for a text, as tokens
 * (PROTOCOL.md). Checked by the library's rule (checkEncode); weights go out as float64.
 */
export const ENCODE_OPERATIONS = {
  async encode(args: Record<string, unknown>, ctx: OperationContext): Promise<unknown> {
    const c = await ctx.db.collection(requireString(args, "collection", 64));
    const r = checkEncode(args.text, { role: args.role });
    return encodedToWire(await c.encode(r.text, { role: r.role }));
  },

  /**
   * `vocabulary {collection}`: the collection's tokens by term id (`tokens[i]` is term i's), or
   * nil when it has none, so a client can resolve and check token-keyed vectors itself (the CLI
   * names a bad line before it sends anything).
   */
  async vocabulary(args: Record<string, unknown>, ctx: OperationContext): Promise<unknown> {
    const v = await (await ctx.db.collection(requireString(args, "collection", 64))).vocabulary();
    return { tokens: v === undefined ? null : v.tokens };
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
