import { SparseDbError } from "../engine/errors.js";

/** term id -> occurrences, in first-seen order. */
export function countTerms(ids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

export function cancelledError(): SparseDbError {
  return new SparseDbError("CANCELLED", "encoding was cancelled by its AbortSignal");
}
