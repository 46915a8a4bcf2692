import type { OperationContext } from "./operations.js";
import type { RequestContext } from "../validate-request.js";
import { checkSearchBatch } from "../validate-search-batch.js";
import { hitsToWire, requireString } from "./wire-values.js";

type Handler = (args: Record<string, unknown>, ctx: OperationContext) => Promise<unknown>;

/**
 * Search operations beyond `search` (PROTOCOL.md), spread into OPERATIONS:
 * - searchBatch {collection, requests: [search args without collection, ...]} -> [[hits], ...],
 *   one array of hits per request, in order. At most maxBatchQueries requests (LIMIT_EXCEEDED),
 *   each checked by the library's rules and the server's limits (maxK, maxVectorTerms) before any
 *   runs; an error names the bad request's index. One request of the run queue, however many
 *   queries it holds.
 */
export const SEARCH_OPERATIONS: Record<string, Handler> = {
  async searchBatch(args, ctx) {
    const c = await ctx.db.collection(requireString(args, "collection", 64));
    const rc: RequestContext = {
      vocabSize: c.vocabularySize,
      vocabulary: c.encoder?.vocabulary,
      dense: c.denseContext,
      limits: { maxK: ctx.limits.maxK, maxVectorTerms: ctx.limits.maxVectorTerms, maxBatchQueries: ctx.limits.maxBatchQueries, owner: "this server" },
    };
    const results = await c.searchBatch(checkSearchBatch(args.requests, rc));
    return results.map(hitsToWire);
  },
};
