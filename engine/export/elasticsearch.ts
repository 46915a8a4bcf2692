import type { ExportFormat } from "./export-format.js";
import { bulkLines, luceneMapping } from "./lucene-bulk.js";

/**
 * Elasticsearch (8.11 or later): a `sparse_vector` field, documents through `_bulk`; query it
 * with `sparse_vector: {field: FIELD, query_vector: {...}}`.
 */
export const elasticsearchFormat: ExportFormat = {
  name: "elasticsearch",
  summary: "Elasticsearch _bulk NDJSON, vector in a sparse_vector field (8.11+)",
  definition: (ctx) => luceneMapping("sparse_vector", ctx),
  encode: bulkLines,
};
