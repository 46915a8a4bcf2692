import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { SparseDbError } from "../errors.js";
import type { CollectionConfig } from "./collection-config.js";

/**
 * The database's catalog, `sparsedb.json`: which collections exist and the configuration each
 * was created with, so that reopening needs no arguments. Replaced atomically: write a temp file,
 * fsync, rename over, fsync the folder.
 */
export const CATALOG_FILE = "sparsedb.json";
export const CATALOG_FORMAT = 1;

export interface CatalogEntry {
  config: CollectionConfig;
  createdAt: string;
}

export interface CatalogJson {
  format: number;
  collections: Record<string, CatalogEntry>;
}

export async function readCatalog(dir: string): Promise<CatalogJson | undefined> {
  const path = join(dir, CATALOG_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SparseDbError("IO_ERROR", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let json: CatalogJson;
  try {
    json = JSON.parse(text) as CatalogJson;
  } catch (e) {
    throw new SparseDbError("CORRUPTION", `${path} is not valid JSON (${(e as Error).message}); restore it from a backup`);
  }
  if (json === null || typeof json !== "object" || typeof json.collections !== "object" || json.collections === null) {
    throw new SparseDbError("CORRUPTION", `${path} has no "collections" object; restore it from a backup`);
  }
  if (json.format !== CATALOG_FORMAT) {
    throw new SparseDbError(
      "UNSUPPORTED_VERSION",
      `${path} has catalog format ${String(json.format)}; this sparsedb reads format ${CATALOG_FORMAT}: upgrade sparsedb`,
    );
  }
  return json;
}

export async function writeCatalog(dir: string, catalog: CatalogJson): Promise<void> {
  await writeFileAtomic(dir, CATALOG_FILE, JSON.stringify(catalog, null, 2) + "\n");
}

/** Writes `dir/name` so that a crash leaves either the old file or the new one, whole. */
export async function writeFileAtomic(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
