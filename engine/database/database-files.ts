/**
 * Every name in a database folder (storage/FORMAT.md, "Database folder"):
 *
 *   sparsedb.json               the catalog (catalog.ts): collections, their configs, pending removals
 *   sparsedb.json.tmp           a catalog being committed; ignored, replaced by the next commit
 *   sparsedb.lock               the database's lock (storage/lock-file.ts)
 *   collections/<name>/         one collection directory each (files: engine/collection/directory-files.ts)
 *   encoder-state/<name>.json   a BM25 collection's corpus statistics
 *
 * Anything else in the folder is not sparsedb's and is left alone.
 */
export const CATALOG_FILE = "sparsedb.json";
export const CATALOG_TMP_FILE = `${CATALOG_FILE}.tmp`;
export const DATABASE_LOCK_FILE = "sparsedb.lock";
export const COLLECTIONS_DIR = "collections";
export const ENCODER_STATE_DIR = "encoder-state";

export const collectionDir = (db: string, name: string): string => `${db}/${COLLECTIONS_DIR}/${name}`;
export const encoderStateFileName = (name: string): string => `${name}.json`;
export const encoderStatePath = (db: string, name: string): string => `${db}/${ENCODER_STATE_DIR}/${encoderStateFileName(name)}`;

/** Names a folder may hold and still count as empty: left by a crash while creating a database. */
export const CREATION_LEFTOVERS: ReadonlySet<string> = new Set([DATABASE_LOCK_FILE, CATALOG_TMP_FILE]);
