import { SparseDbError } from "../errors.js";

/**
 * The one knob of mode "approximate": the recall@k the caller needs. Its validation lives here,
 * in one place, for the library, the server and the benchmark alike.
 */
export const MIN_RECALL = 0.8;
export const MAX_RECALL = 0.999;
export const DEFAULT_RECALL = 0.95;

/**
 * The recall a search request asks for: undefined unless mode is "approximate"; a recall given
 * with another mode is refused rather than ignored.
 */
export function approximateRecall(mode: string, recall: unknown, algorithm: string | undefined): number | undefined {
  if (mode !== "approximate") {
    if (recall !== undefined) throw new SparseDbError("INVALID_ARGUMENT", `recall applies to mode "approximate" only (mode is ${JSON.stringify(mode)})`);
    return undefined;
  }
  checkApproximateAlgorithm(algorithm);
  return checkRecall(recall);
}

/** Approximate mode scales the range search's bounds, so it runs on the range algorithms only. */
export function checkApproximateAlgorithm(algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== "ranges" && algorithm !== "ranges-ts") {
    throw new SparseDbError("INVALID_ARGUMENT", `mode "approximate" runs on the range search; leave algorithm out or choose ranges or ranges-ts, not ${algorithm}`);
  }
}

export function checkRecall(recall: unknown): number {
  if (recall === undefined) return DEFAULT_RECALL;
  if (typeof recall !== "number" || !(recall >= MIN_RECALL && recall <= MAX_RECALL)) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `recall must be a number in ${MIN_RECALL}..${MAX_RECALL} (the recall@k approximate mode must reach), got ${String(recall)}; use mode "exact" for recall 1`,
    );
  }
  return recall;
}
