import type { ScrollRequest } from "../requests.js";
import { checkScroll } from "../scroll-request.js";
import type { Handler } from "./operations.js";
import { requireString, toWire } from "./wire-values.js";

/**
 * `scroll` (PROTOCOL.md): one page of a collection's live documents in id order. The request is
 * checked by the library's rules, then by the server's maxBatchDocs as the largest page.
 * (Imports only types from operations.ts, which spreads these in: no import cycle at load.)
 */
export const SCROLL_OPERATIONS: Record<string, Handler> = {
  async scroll(args, ctx) {
    const c = await ctx.db.collection(requireString(args, "collection", 64));
    const { collection: _name, ...request } = args;
    checkScroll(request, { maxBatch: ctx.limits.maxBatchDocs, owner: "this server" });
    const page = await c.scroll(request as unknown as ScrollRequest); // checked above (and again by the collection)
    return toWire({
      documents: page.documents.map((d) => ({ ...d, metadata: d.metadata ?? null })),
      nextCursor: page.nextCursor,
    });
  },
};
