import type { ExportFormat } from "./export-format.js";
import { bulkLines, luceneMapping } from "./lucene-bulk.js";

/**
 * OpenSearch neural sparse search over raw vectors: a `rank_features` field, documents through
 * `_bulk`; query it with `neural_sparse: {FIELD: {query_tokens: {...}}}`.
 */
export const opensearchFormat: ExportFormat = {
  name: "opensearch",
  summary: "OpenSearch _bulk NDJSON, vector in a rank_features field (neural sparse search)",
  definition: (ctx) => luceneMapping("rank_features", ctx),
  encode: bulkLines,
};
