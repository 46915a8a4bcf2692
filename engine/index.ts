/**
 * sparsedb's public API: what `import ... from "sparsedb"` gives.
 */
export { Database, Collection } from "./database.js";
export type { CollectionConfig, DocumentInput, SearchHit, SearchHits, SearchRequest, StoredDocument, ExplainTerm, Durability, SearchMode, VectorInput } from "./database.js";
export type { ScrollRequest, ScrollPage, ScrolledDocument } from "./requests.js";
export { MAX_SCROLL_LIMIT } from "./scroll-request.js";
export type { IntegrityReport, IntegrityFinding } from "./database.js";
export type { IncludeOptions, GetOptions, MetadataPatch, DeleteByFilter } from "./requests.js";
export type { WalRepair } from "./collection/recovery.js";
export type { EncodedText, EncodedToken } from "./encode-text.js";
export type { Metric } from "./similarity-metric.js";
export { SparseClient } from "./client/sparse-client.js";
export { RemoteCollection } from "./client/remote-collection.js";
export { SparseServer, DEFAULT_PORT } from "./server/server.js";
export { compileFilter, type Filter } from "./filter.js";
export { SparseDbError, type ErrorCode } from "./errors.js";
export { SparseVector, type VectorOptions, type VectorRole } from "./sparse-vector.js";
export { Vocabulary, BERT_VOCAB_SIZE } from "./vocabulary.js";
export { IndexBuilder } from "./index/index-builder.js";
export { SegmentIndex } from "./index/segment-index.js";
export { searchSegment, ALGORITHMS, DEFAULT_ALGORITHM, type AlgorithmName } from "./search/search.js";
