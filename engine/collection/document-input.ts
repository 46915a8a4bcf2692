import { SparseDbError } from "../errors.js";
import { SparseVector } from "../sparse-vector.js";

/** The largest external id accepted, in UTF-16 code units. */
export const MAX_ID_LENGTH = 1024;

export type VectorInput = SparseVector | Record<string, number>;

export function checkId(id: unknown, where: string): string {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new SparseDbError("INVALID_ARGUMENT", `${where}: id must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${JSON.stringify(id)?.slice(0, 80)}`);
  }
  return id;
}

/** A SparseVector from either form the API accepts ({termId: weight} or a SparseVector). */
export function toVector(input: VectorInput, role: "document" | "query", vocabSize: number, where: string): SparseVector {
  if (input instanceof SparseVector) {
    for (let i = 0; i < input.nnz; i++) {
      if (input.terms[i]! >= vocabSize) {
        throw new SparseDbError("INVALID_VECTOR", `${where}: term id ${input.terms[i]} is outside the collection's vocabulary (0..${vocabSize - 1})`);
      }
      if (role === "document" && input.weights[i]! < 0) {
        throw new SparseDbError("INVALID_VECTOR", `${where}: document weights must be >= 0 (term ${input.terms[i]} has ${input.weights[i]})`);
      }
    }
    return input;
  }
  try {
    return SparseVector.fromTermMap(input, { role, vocabSize });
  } catch (e) {
    if (e instanceof SparseDbError) throw new SparseDbError(e.code, `${where}: ${e.message}`);
    throw e;
  }
}
