import { SparseDbError } from "../errors.js";

/**
 * The one knob of mode "approximate": the recall@k the caller needs. Its validation lives here,
 * in one place, for the library, the server and the benchmark alike.
 */
export const MIN_RECALL = 0.8;
export const MAX_RECALL = 0.999;
export const DEFAULT_RECALL = 0.95;

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
