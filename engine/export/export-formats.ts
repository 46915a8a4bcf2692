import { elasticsearchFormat } from "./elasticsearch.js";
import type { ExportFormat } from "./export-format.js";
import { opensearchFormat } from "./opensearch.js";
import { qdrantFormat } from "./qdrant.js";
import { jsonlFormat } from "./sparsedb-jsonl.js";

/** Every format `sparsedb export --format` writes. */
export const EXPORT_FORMATS: readonly ExportFormat[] = [opensearchFormat, elasticsearchFormat, qdrantFormat, jsonlFormat];
