import type { FileSystem } from "../../storage/file-system.js";
import { verifyCollectionFiles, type CollectionCheck, type IntegrityFinding } from "../collection/verify-collection.js";
import { readCatalog, type Catalog } from "./catalog.js";
import { isCollectionName } from "./collection-name.js";
import { CATALOG_FILE, collectionDir, COLLECTIONS_DIR, ENCODER_STATE_DIR, encoderStateFileName } from "./database-files.js";

export type { IntegrityFinding } from "../collection/verify-collection.js";

/** What db.verify() and `sparsedb check` report. */
export interface IntegrityReport {
  /** True when `problems` is empty. */
  ok: boolean;
  /** Damage or inconsistencies, each naming the file and what is wrong. */
  problems: IntegrityFinding[];
  /** Harmless findings (torn log tails, superseded files, pending removals), tidied on open. */
  notes: IntegrityFinding[];
  checked: { collections: number; segments: number; deletionFiles: number; logs: number; logRecords: number; documents: number; bytes: number };
}

/**
 * Checks a database folder: the catalog's checksum, that every collection it names has its
 * folder, each collection's files (verifyCollectionFiles, or `openCheck` for one open in this
 * process, which runs under that collection's commit lock), the encoder state files, and that
 * the folder holds no collection folder the catalog does not know.
 */
export async function verifyDatabaseFolder(
  fs: FileSystem,
  dir: string,
  openCheck: (name: string) => Promise<CollectionCheck | null | undefined>,
): Promise<IntegrityReport> {
  const problems: IntegrityFinding[] = [];
  const notes: IntegrityFinding[] = [];
  const checked = { collections: 0, segments: 0, deletionFiles: 0, logs: 0, logRecords: 0, documents: 0, bytes: 0 };
  const done = (): IntegrityReport => ({ ok: problems.length === 0, problems, notes, checked });
  let catalog: Catalog;
  try {
    const read = await readCatalog(fs, dir);
    if (read === undefined) {
      problems.push({ file: `${dir}/${CATALOG_FILE}`, what: "missing: not a sparsedb database" });
      return done();
    }
    if (!read.verified) notes.push({ file: `${dir}/${CATALOG_FILE}`, what: "legacy format 1 catalog without a checksum (rewritten with one on the next open)" });
    catalog = read.catalog;
  } catch (e) {
    problems.push({ file: `${dir}/${CATALOG_FILE}`, what: (e as Error).message });
    return done();
  }
  const folders = (await fs.stat(`${dir}/${COLLECTIONS_DIR}`)) ? await fs.readdir(`${dir}/${COLLECTIONS_DIR}`) : [];
  for (const name of Object.keys(catalog.collections).sort()) {
    const cdir = collectionDir(dir, name);
    if (!folders.includes(name)) {
      problems.push({ file: cdir, what: `collection "${name}" is named by the catalog but its folder is missing` });
      continue;
    }
    const opened = await openCheck(name);
    if (opened === null) continue; // open, with a backend that keeps no files
    const check = opened ?? (await verifyCollectionFiles(fs, cdir));
    checked.collections++;
    problems.push(...check.problems);
    notes.push(...check.notes);
    for (const k of Object.keys(check.counts) as (keyof CollectionCheck["counts"])[]) checked[k] += check.counts[k];
    const state = `${dir}/${ENCODER_STATE_DIR}/${encoderStateFileName(name)}`;
    if (await fs.stat(state)) {
      // BM25 statistics now live in the collection; this file is what sparsedb 0.1 kept outside it.
      problems.push({ file: state, what: "legacy BM25 statistics of an older sparsedb: the collection refuses to open until its documents are re-ingested or this file is deleted" });
    }
  }
  for (const name of catalog.removing) notes.push({ file: collectionDir(dir, name), what: "removal pending (a drop or create was interrupted; finished on the next open)" });
  for (const f of folders) {
    if (!(f in catalog.collections) && !catalog.removing.includes(f)) {
      problems.push({
        file: collectionDir(dir, f),
        what: isCollectionName(f) ? "a folder the catalog does not name (not a collection of this database; createCollection refuses this name)" : "not a collection folder (its name is not a valid collection name)",
      });
    }
  }
  return done();
}
