import { SparseDbError } from "../errors.js";

/**
 * Collection names become folder names, so they are restricted to a portable set that cannot
 * escape the data folder: a letter or digit, then letters, digits, "_" or "-", 64 at most.
 *
 * One rule for create, lookup and drop: names are case-sensitive ("Docs" and "docs" are
 * different strings, and a lookup must use the exact name), but two names that differ only by
 * case cannot both exist, because on a case-insensitive file system (macOS, Windows) they would
 * be the same folder. So create refuses a name that matches an existing one ignoring case, and a
 * lookup or drop by the wrong case is NOT_FOUND with a hint naming the existing collection.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isCollectionName(name: unknown): name is string {
  return typeof name === "string" && NAME.test(name);
}

export function checkCollectionName(name: unknown): string {
  if (!isCollectionName(name)) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `collection name ${JSON.stringify(name)} is not valid: use 1-64 letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** The existing name that equals `name` ignoring case, if any. */
export function sameNameIgnoringCase(existing: Iterable<string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const n of existing) if (n.toLowerCase() === lower) return n;
  return undefined;
}

/** NOT_FOUND for a lookup or drop, with a hint when only the case differs. */
export function collectionNotFound(name: string, dir: string, existing: string[], action = ""): SparseDbError {
  const near = sameNameIgnoringCase(existing, name);
  const hint =
    near !== undefined
      ? `; did you mean "${near}"? collection names are case-sensitive`
      : `; create it first (existing: ${existing.join(", ") || "none"})`;
  return new SparseDbError("NOT_FOUND", `no collection "${name}"${action} in ${dir}${hint}`);
}
