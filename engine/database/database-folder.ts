import type { FileSystem } from "../../storage/file-system.js";
import { ioError } from "../../storage/storage-error.js";
import { MANIFEST_FILE } from "../../storage/manifest.js";
import { SparseDbError } from "../errors.js";
import { CATALOG_FILE, CREATION_LEFTOVERS } from "./database-files.js";

/**
 * What Database.open finds at a path, before it touches anything: a database (it has a catalog),
 * a place to create one (missing, or an empty folder), or something else, refused with a message
 * that says what it is, so that opening a wrong path never writes into a folder of user files.
 */
export async function checkDatabaseFolder(fs: FileSystem, dir: string, create: boolean): Promise<"database" | "create"> {
  let st: { isDirectory: boolean } | null;
  try {
    st = await fs.stat(dir);
  } catch (e) {
    throw ioError(`looking at ${dir}`, e);
  }
  if (st === null) {
    if (!create) throw new SparseDbError("NOT_FOUND", `database folder ${dir} does not exist; create it or open with {create: true}`);
    try {
      await fs.mkdir(dir);
    } catch (e) {
      throw ioError(`creating the database folder ${dir}`, e);
    }
    return "create";
  }
  if (!st.isDirectory) {
    throw new SparseDbError("INVALID_ARGUMENT", `${dir} is a file, not a database folder; give the path of a folder (a missing or empty one creates a database)`);
  }
  const names = await fs.readdir(dir);
  if (names.includes(CATALOG_FILE)) return "database";
  if (!create) {
    throw new SparseDbError("NOT_FOUND", `${dir} is not a sparsedb database (no ${CATALOG_FILE}); create one with Database.open(dir) or \`sparsedb ingest\``);
  }
  const foreign = names.filter((n) => !CREATION_LEFTOVERS.has(n)).sort();
  if (foreign.length === 0) return "create";
  if (names.includes(MANIFEST_FILE)) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `${dir} is a sparsedb collection folder, not a database folder; open the database folder that holds ${CATALOG_FILE} (two levels up: <db>/collections/<name>)`,
    );
  }
  const shown = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? `, ... (${foreign.length} entries)` : "");
  throw new SparseDbError(
    "INVALID_ARGUMENT",
    `${dir} is not a sparsedb database (no ${CATALOG_FILE}) and is not empty (it holds ${shown}); a database is created only in a missing or empty folder: give another path`,
  );
}
