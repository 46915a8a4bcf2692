import { SparseDbError } from "../errors.js";

/**
 * Collection names become folder names, so they are restricted to a portable set that cannot
 * escape the data folder: a letter or digit, then letters, digits, "_" or "-", 64 at most.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function checkCollectionName(name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `collection name ${JSON.stringify(name)} is not valid: use 1-64 letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
  return name;
}
