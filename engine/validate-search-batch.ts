import { SparseDbError } from "./errors.js";
import { typeName } from "./type-name.js";
import { checkSearch, type CheckedSearch, type RequestContext } from "./validate-request.js";

/**
 * searchBatch's requests: a non-empty array of search requests, each checked by checkSearch's
 * rules; an error names the bad request's index ("searchBatch: request 2: search: k must
 * be ..."), keeping the code checkSearch gave. A server's maxBatchQueries is checked first
 * (LIMIT_EXCEEDED), before any request is looked at.
 */
export function checkSearchBatch(requests: unknown, ctx: RequestContext = {}): CheckedSearch[] {
  if (!Array.isArray(requests)) {
    throw new SparseDbError("INVALID_ARGUMENT", `searchBatch takes an array of search requests [{vector | text, k, ...}, ...], got ${typeName(requests)}`);
  }
  if (requests.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "searchBatch: the array of requests is empty; give at least one search request");
  const limits = ctx.limits;
  if (limits?.maxBatchQueries !== undefined && requests.length > limits.maxBatchQueries) {
    throw new SparseDbError("LIMIT_EXCEEDED", `searchBatch: ${requests.length} requests; ${limits.owner ?? "this server"} accepts at most ${limits.maxBatchQueries} per call: split it`);
  }
  return requests.map((r, i) => {
    try {
      return checkSearch(r, ctx);
    } catch (e) {
      if (e instanceof SparseDbError) throw new SparseDbError(e.code, `searchBatch: request ${i}: ${e.message}`);
      throw e;
    }
  });
}
