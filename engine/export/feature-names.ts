import { SparseDbError } from "../errors.js";
import type { Vocabulary } from "../vocabulary.js";

/**
 * What a term id is called in a foreign engine's sparse field: its WordPiece token through the
 * collection's vocabulary, or the decimal term id when there is none.
 *
 * OpenSearch's `rank_features` and Elasticsearch's `sparse_vector` (before 8.16) refuse feature
 * names that contain a dot ("fields do not support dots in feature names"), and both read a dot
 * in a query's field path as nesting; BERT's vocabulary has three such tokens (".", "...", "##.").
 * A dot is therefore written as DOT_REPLACEMENT (U+2024 ONE DOT LEADER, in no BERT token), which
 * queries sent to that engine must do too; the mapping's `_meta` records it.
 */
export const DOT_REPLACEMENT = "\u2024";

export interface FeatureNames {
  /** "tokens" or "term ids". */
  readonly keys: "tokens" | "term ids";
  /** The feature name of a term id. */
  nameOf(termId: number): string;
}

export function featureNames(vocabulary: Vocabulary | undefined): FeatureNames {
  if (vocabulary === undefined) return { keys: "term ids", nameOf: (t) => String(t) };
  const names = vocabulary.tokens.map((t) => t.split(".").join(DOT_REPLACEMENT));
  const seen = new Map<string, number>();
  names.forEach((name, id) => {
    const other = seen.get(name);
    if (other !== undefined) {
      throw new SparseDbError("INVALID_ARGUMENT", `terms ${other} (${JSON.stringify(vocabulary.tokens[other])}) and ${id} (${JSON.stringify(vocabulary.tokens[id])}) would both be written as feature ${JSON.stringify(name)}; export with --keys ids`);
    }
    if (name === "") throw new SparseDbError("INVALID_ARGUMENT", `term ${id} has an empty token, which cannot be a feature name; export with --keys ids`);
    seen.set(name, id);
  });
  return {
    keys: "tokens",
    nameOf(termId) {
      const n = names[termId];
      if (n === undefined) throw new SparseDbError("INVALID_ARGUMENT", `term id ${termId} is outside the collection's vocabulary (0..${names.length - 1})`);
      return n;
    },
  };
}

/** The smallest positive normal float32: Lucene's feature fields refuse smaller (subnormal) values. */
export const MIN_FEATURE_VALUE = 2 ** -126;
