import type { ScrolledDocument } from "../requests.js";
import type { FeatureNames } from "./feature-names.js";

/** What every export format is told about the collection it writes. */
export interface ExportContext {
  /** The sparsedb collection's name and configuration (as describeCollection reports it). */
  collection: string;
  config: unknown;
  /** The target's index (OpenSearch, Elasticsearch) or collection (Qdrant) name. */
  target: string;
  /** The field (OpenSearch, Elasticsearch) or named sparse vector (Qdrant) holding the vector. */
  vectorField: string;
  features: FeatureNames;
  /** Counts of what had to be adjusted, reported at the end. */
  notes: ExportNotes;
}

export interface ExportNotes {
  /** Weights below the smallest normal float32, raised to it (Lucene refuses subnormal feature values). */
  raisedWeights: number;
  /** Ids the target cannot take as they are, written as a hash (the original in the `id` field). */
  hashedIds: number;
}

/**
 * One export format: the index mapping or collection definition to create first, and the text
 * for a batch of documents (a scroll page), in the order given.
 */
export interface ExportFormat {
  name: string;
  /** One line for `sparsedb export --help`. */
  summary: string;
  /** What the target needs created first (written with --mapping), as JSON. */
  definition(ctx: ExportContext): unknown;
  /** The bulk text of one batch of documents (each line ends with "\n"). */
  encode(documents: ScrolledDocument[], ctx: ExportContext): string;
}
