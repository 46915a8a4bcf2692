import { crc32c } from "../../storage/crc32c.js";
import { readFileIfExists, replaceFileAtomically, type FileSystem } from "../../storage/file-system.js";
import { corruption, ioError, newerVersion } from "../../storage/storage-error.js";
import type { CollectionConfig } from "./collection-config.js";
import { isCollectionName } from "./collection-name.js";
import { CATALOG_FILE } from "./database-files.js";

/**
 * The database's catalog, `sparsedb.json`: which collections exist, the configuration each was
 * created with (so that reopening needs no arguments), and which collection folders are being
 * removed. A commit replaces the file atomically (replaceFileAtomically); the file carries a
 * CRC-32C, so a damaged catalog is refused rather than believed: the database deletes a
 * collection's files only on the word of a verified catalog (its `removing` list).
 *
 * Layout (storage/FORMAT.md, "Catalog"), one JSON document:
 *   {"format":2,"crc32c":"<8 lowercase hex digits>","catalog":<body JSON>}\n
 * The checksum is crc32c of the file's bytes with the 8 hex digits left out. Format 1 (plain JSON
 * {"format":1,"collections":{...}}, no checksum) is still read, never trusted to delete, and
 * rewritten as format 2 on open.
 */
export const CATALOG_FORMAT = 2;
const LEGACY_FORMAT = 1;
const HEADER = /^\{"format":(\d+),"crc32c":"([0-9a-f]{8})","catalog":/;
const TRAILER = "}\n";

export interface CatalogEntry {
  config: CollectionConfig;
  createdAt: string;
}

export interface Catalog {
  collections: Record<string, CatalogEntry>;
  /**
   * Collection folders (under collections/) to delete: a collection being dropped (already out of
   * `collections`) or being created (not yet in it). Opening the database finishes the removal.
   */
  removing: string[];
}

export interface ReadCatalog {
  catalog: Catalog;
  /** False for a legacy (format 1) catalog, which has no checksum. */
  verified: boolean;
}

export function emptyCatalog(): Catalog {
  return { collections: {}, removing: [] };
}

export function encodeCatalog(catalog: Catalog): Uint8Array {
  const body = JSON.stringify({ collections: catalog.collections, removing: catalog.removing }, null, 2);
  const head = new TextEncoder().encode(`{"format":${CATALOG_FORMAT},"crc32c":"`);
  const rest = new TextEncoder().encode(`","catalog":${body}${TRAILER}`);
  const crc = crc32c(rest, crc32c(head));
  const hex = new TextEncoder().encode(crc.toString(16).padStart(8, "0"));
  const out = new Uint8Array(head.length + 8 + rest.length);
  out.set(head, 0);
  out.set(hex, head.length);
  out.set(rest, head.length + 8);
  return out;
}

export function decodeCatalog(buf: Uint8Array, file: string): ReadCatalog {
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1");
  const m = HEADER.exec(text);
  if (m === null) return { catalog: decodeLegacy(buf, file), verified: false };
  const hexAt = m[0].length - '","catalog":'.length - 8;
  const crc = crc32c(buf.subarray(hexAt + 8), crc32c(buf.subarray(0, hexAt)));
  if (crc !== parseInt(m[2]!, 16)) throw corruption(file, "catalog checksum mismatch");
  const format = Number(m[1]);
  if (format > CATALOG_FORMAT) throw newerVersion(file, format, CATALOG_FORMAT);
  if (format !== CATALOG_FORMAT || !text.endsWith(TRAILER)) throw corruption(file, `not a format ${CATALOG_FORMAT} catalog`);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(m[0].length, buf.length - TRAILER.length)));
  } catch (e) {
    throw corruption(file, `undecodable body (${(e as Error).message})`);
  }
  const b = body as Partial<Catalog> | null;
  if (b === null || typeof b !== "object" || !isRecord(b.collections) || !Array.isArray(b.removing) || !b.removing.every((r) => typeof r === "string")) {
    throw corruption(file, "catalog body lacks required fields");
  }
  for (const [name, e] of Object.entries(b.collections)) {
    if (!isCollectionName(name) || !isRecord(e) || !isRecord(e.config)) throw corruption(file, `entry ${JSON.stringify(name)} is not a valid collection entry`);
  }
  // Folders named here get deleted: only ever valid names, so no path can escape collections/.
  for (const name of b.removing) if (!isCollectionName(name)) throw corruption(file, `removing names ${JSON.stringify(name)}, not a collection name`);
  return { catalog: { collections: b.collections, removing: b.removing }, verified: true };
}

function decodeLegacy(buf: Uint8Array, file: string): Catalog {
  let json: { format?: unknown; collections?: unknown } | null;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf));
  } catch {
    throw corruption(file, "not a sparsedb catalog (no checksum header, not JSON)");
  }
  if (json === null || typeof json !== "object" || json.format !== LEGACY_FORMAT || !isRecord(json.collections)) {
    if (json !== null && typeof json === "object" && typeof json.format === "number" && json.format > CATALOG_FORMAT) {
      throw newerVersion(file, json.format, CATALOG_FORMAT);
    }
    throw corruption(file, "not a sparsedb catalog (no checksum header)");
  }
  return { collections: json.collections as Record<string, CatalogEntry>, removing: [] };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/** The catalog of the database in `dir`, or undefined when it has none. */
export async function readCatalog(fs: FileSystem, dir: string): Promise<ReadCatalog | undefined> {
  const path = `${dir}/${CATALOG_FILE}`;
  let buf: Buffer | null;
  try {
    buf = await readFileIfExists(fs, path);
  } catch (e) {
    throw ioError(`reading ${path}`, e);
  }
  if (buf === null) return undefined;
  return decodeCatalog(buf, path);
}

/** Commits `catalog` (atomic replacement); on failure the previous catalog stays in force. */
export async function writeCatalog(fs: FileSystem, dir: string, catalog: Catalog): Promise<void> {
  try {
    await replaceFileAtomically(fs, dir, CATALOG_FILE, encodeCatalog(catalog));
  } catch (e) {
    throw ioError(`committing the catalog ${dir}/${CATALOG_FILE}`, e);
  }
}
