import type { DenseEncoder, DenseEncoderConfig, Encoder, EncoderConfig } from "../encoder/index.js";
import { nodeFileSystem, removeTree, type FileSystem } from "../storage/file-system.js";
import { DirectoryLock } from "../storage/lock-file.js";
import { ioError } from "../storage/storage-error.js";
import { SparseDbError } from "./errors.js";
import { emptyCatalog, readCatalog, writeCatalog, type Catalog } from "./database/catalog.js";
import { checkCollectionConfig, checkMetricWithEncoder, withConfigDefaults, type CollectionConfig } from "./database/collection-config.js";
import { checkCollectionName, collectionNotFound, sameNameIgnoringCase } from "./database/collection-name.js";
import type { CollectionOpener } from "./database/collection-backend.js";
import { Collection } from "./collection.js";
import { bundleEncoderFiles, encoderConfigIn, encoderOpenError, storedDenseEncoder, withStoredPaths } from "./database/encoder-files.js";
import {
  collectionDir, COLLECTIONS_DIR, DATABASE_LOCK_FILE, encoderStatePath,
} from "./database/database-files.js";
import { checkDatabaseFolder } from "./database/database-folder.js";
import { verifyDatabaseFolder, type IntegrityReport } from "./database/verify-database.js";

export type { CollectionConfig } from "./database/collection-config.js";
export type { IntegrityReport, IntegrityFinding } from "./database/verify-database.js";
export type { DocumentInput, SearchHit, SearchHits, SearchRequest, StoredDocument, ExplainTerm, Durability, SearchMode, VectorInput } from "./requests.js";
export { Collection } from "./collection.js";

/** Creates an encoder from its (persisted) config. */
export type EncoderFactory = (config: EncoderConfig) => Promise<Encoder>;
/** Creates a dense text encoder from its (persisted) config. */
export type DenseEncoderFactory = (config: DenseEncoderConfig) => Promise<DenseEncoder>;

export interface DatabaseOptions {
  /**
   * Create the database when the folder does not exist or is empty (default true). A folder that
   * holds anything else but no database is refused, never written into.
   */
  create?: boolean;
  /**
   * Open collections even if a write-ahead log is damaged, keeping the records before the damage
   * and dropping the rest (each collection's stats().walRepairs says what). Without it such a
   * collection refuses to open with CORRUPTION. Default false; see storage/FORMAT.md.
   */
  repair?: boolean;
  /** Advanced: the file-system layer (default: the real disk). Tests pass a fault-injecting one. */
  fs?: FileSystem;
  /** Advanced: the storage backend (default: engine/collection/collection-store.ts). Tests substitute their own. */
  openCollection?: CollectionOpener;
  /** Advanced: how encoders are made (default: encoder/ createEncoder). */
  createEncoder?: EncoderFactory;
  /** Advanced: how dense text encoders (a collection's `dense.encoder`) are made (default: encoder/ createDenseEncoder). */
  createDenseEncoder?: DenseEncoderFactory;
  /**
   * The encoder of collections created without one. Default: lexical BM25 over BERT's WordPiece
   * vocabulary (bert-base-uncased, shipped in the package).
   */
  defaultEncoder?: EncoderConfig;
}

export interface CollectionInfo {
  name: string;
  config: CollectionConfig;
  createdAt: string;
}

/**
 * A sparsedb database: a folder of named collections. One process opens a folder at a time.
 *
 *   const db = await Database.open("./data");
 *   const docs = await db.createCollection("docs");            // lexical BM25 unless an encoder is given
 *   await docs.upsert([{ id: "a", text: "hello world", metadata: { lang: "en" } }]);
 *   const hits = await docs.search({ text: "hello", k: 10, filter: { lang: "en" }, explain: true });
 *   await db.close();
 */
export class Database {
  private readonly open = new Map<string, Promise<Collection>>();
  private mutex: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly repair: boolean,
    private catalog: Catalog,
    private readonly lock: DirectoryLock,
    private readonly openCollection: CollectionOpener,
    private readonly createEncoder: EncoderFactory,
    private readonly defaultEncoder: EncoderConfig,
    private readonly createDenseEncoder: DenseEncoderFactory,
  ) {}

  static async open(dir: string, options: DatabaseOptions = {}): Promise<Database> {
    if (typeof dir !== "string" || dir.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "Database.open needs a folder path");
    const fs = options.fs ?? nodeFileSystem;
    const found = await checkDatabaseFolder(fs, dir, options.create !== false);
    let openCollection = options.openCollection;
    let createEncoder = options.createEncoder;
    let defaultEncoder = options.defaultEncoder;
    let createDenseEncoder = options.createDenseEncoder;
    if (openCollection === undefined || createEncoder === undefined || defaultEncoder === undefined || createDenseEncoder === undefined) {
      const backends = await import("./database/default-backends.js");
      openCollection ??= backends.openStoredCollection;
      createEncoder ??= backends.createEncoderFromConfig;
      defaultEncoder ??= backends.defaultEncoderConfig();
      createDenseEncoder ??= backends.createDenseEncoderFromConfig;
    }
    const lock = await DirectoryLock.acquire(fs, dir, { file: DATABASE_LOCK_FILE, what: "database" });
    try {
      const read = await readCatalog(fs, dir);
      let catalog: Catalog;
      if (read === undefined) {
        if (found === "database") throw new SparseDbError("CORRUPTION", `the catalog of ${dir} vanished while opening; is another program changing the folder?`);
        catalog = emptyCatalog();
        await writeCatalog(fs, dir, catalog);
      } else {
        catalog = read.catalog;
        if (!read.verified) await writeCatalog(fs, dir, catalog); // a legacy catalog, now with a checksum
      }
      await fs.mkdir(`${dir}/${COLLECTIONS_DIR}`).catch((e) => {
        throw ioError(`creating ${dir}/${COLLECTIONS_DIR}`, e);
      });
      const db = new Database(dir, fs, options.repair === true, catalog, lock, openCollection, createEncoder, defaultEncoder, createDenseEncoder);
      await db.finishRemovals();
      return db;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  listCollections(): CollectionInfo[] {
    this.checkOpen();
    return Object.entries(this.catalog.collections)
      .map(([name, e]) => ({ name, config: e.config, createdAt: e.createdAt }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  hasCollection(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.catalog.collections, name);
  }

  /**
   * Creates a collection; its config (encoder, bits, durability) is persisted. The name is put in
   * the catalog's `removing` list before its folder is made and moved into `collections` once
   * the collection exists, so a crash midway leaves a folder the next open deletes, never a
   * half-made collection.
   */
  async createCollection(name: string, config: CollectionConfig = {}): Promise<Collection> {
    return this.exclusive(async () => {
      this.checkOpen();
      checkCollectionName(name);
      const checked = checkCollectionConfig(config);
      checkMetricWithEncoder(checked.metric, checked.encoder ?? this.defaultEncoder);
      const clash = sameNameIgnoringCase(Object.keys(this.catalog.collections), name);
      if (clash !== undefined) {
        throw new SparseDbError(
          "ALREADY_EXISTS",
          `collection "${clash}" already exists${clash === name ? "" : ` (names that differ only by case would share a folder on case-insensitive file systems)`}; drop it first or choose another name`,
        );
      }
      if (this.catalog.removing.includes(name)) await this.removeCollectionFiles(name);
      if (await this.fs.stat(this.collectionDir(name))) {
        throw new SparseDbError(
          "ALREADY_EXISTS",
          `${this.collectionDir(name)} exists but the catalog names no such collection (left by an older sparsedb or put there by hand); move or delete it, or choose another name`,
        );
      }
      // The files the encoder reads are copied into the collection's folder first and loaded from
      // there (encoder-files.ts), so that the database folder is self-contained.
      let stored: EncoderConfig;
      let encoder: Encoder;
      try {
        stored = await bundleEncoderFiles(this.fs, checked.encoder ?? this.defaultEncoder, this.collectionDir(name));
        encoder = await this.createEncoder(encoderConfigIn(stored, this.collectionDir(name)));
      } catch (e) {
        await removeTree(this.fs, this.collectionDir(name)).catch(() => undefined);
        throw e;
      }
      let dense: DenseEncoder | undefined;
      try {
        dense = await this.newDenseEncoder(checked);
      } catch (e) {
        await encoder.close();
        await removeTree(this.fs, this.collectionDir(name)).catch(() => undefined);
        throw e;
      }
      const closeEncoders = async () => {
        await encoder.close();
        await dense?.close();
      };
      // Persist the encoders' full configs (defaults filled in) so a reopen makes the same encoders.
      const resolved: CollectionConfig = { ...checked, encoder: withStoredPaths(encoder.config, stored) };
      if (dense !== undefined) resolved.dense = { ...checked.dense!, encoder: dense.config };
      let store;
      try {
        await this.commit({ ...this.catalog, removing: [...this.catalog.removing, name] });
      } catch (e) {
        await closeEncoders();
        throw e;
      }
      try {
        store = await this.openCollection(this.collectionDir(name), { ...storeOptions(resolved), encoder, create: true, fs: this.fs });
      } catch (e) {
        await closeEncoders();
        await this.removeCollectionFiles(name).catch(() => undefined); // else the next open does it
        throw e;
      }
      const collection = this.wrap(name, resolved, store, encoder, dense);
      try {
        await this.commit({
          collections: { ...this.catalog.collections, [name]: { config: resolved, createdAt: new Date().toISOString() } },
          removing: this.catalog.removing.filter((n) => n !== name),
        });
      } catch (e) {
        await collection.close().catch(() => undefined);
        await this.removeCollectionFiles(name).catch(() => undefined);
        throw e;
      }
      this.open.set(name, Promise.resolve(collection));
      return collection;
    });
  }

  /** The named collection, opened on first use; NOT_FOUND when it does not exist. */
  async collection(name: string): Promise<Collection> {
    this.checkOpen();
    const cached = this.open.get(name);
    if (cached !== undefined) return cached;
    return this.exclusive(async () => {
      this.checkOpen();
      const again = this.open.get(name);
      if (again !== undefined) return again;
      const entry = this.catalog.collections[name];
      if (entry === undefined || !this.hasCollection(name)) {
        checkCollectionName(name);
        throw collectionNotFound(name, this.dir, Object.keys(this.catalog.collections));
      }
      const config = entry.config;
      await this.refuseLegacyStatistics(name);
      const stored = config.encoder ?? this.defaultEncoder;
      const encoder = await this.createEncoder(encoderConfigIn(stored, this.collectionDir(name))).catch((e: unknown) => {
        throw encoderOpenError(e, name, stored);
      });
      let dense: DenseEncoder | undefined;
      let store;
      try {
        const denseConfig = config.dense?.encoder;
        if (denseConfig !== undefined) {
          dense = await this.createDenseEncoder(denseConfig).catch((e: unknown) => {
            throw encoderOpenError(e, name, denseConfig);
          });
        }
        store = await this.openCollection(this.collectionDir(name), { ...storeOptions(config), encoder, create: false, fs: this.fs, repairWal: this.repair });
      } catch (e) {
        await encoder.close();
        await dense?.close();
        throw e;
      }
      const p = Promise.resolve(this.wrap(name, config, store, encoder, dense));
      this.open.set(name, p);
      return p;
    });
  }

  /**
   * Deletes a collection and its files. The commit point is the catalog commit that moves the
   * name from `collections` to `removing`: before it the collection is whole, after it it is gone
   * (its folder is deleted next, and the next open finishes that if a crash interrupts it).
   */
  async dropCollection(name: string): Promise<void> {
    return this.exclusive(async () => {
      this.checkOpen();
      checkCollectionName(name);
      if (!this.hasCollection(name)) throw collectionNotFound(name, this.dir, Object.keys(this.catalog.collections), " to drop");
      const open = this.open.get(name);
      if (open !== undefined) await (await open).close();
      const collections = { ...this.catalog.collections };
      delete collections[name];
      await this.commit({ collections, removing: [...this.catalog.removing, name] });
      try {
        await this.removeCollectionFiles(name);
      } catch (e) {
        const err = ioError(`removing the files of dropped collection "${name}"`, e);
        throw new SparseDbError(err.code, `collection "${name}" is dropped, but ${err.message}; the next Database.open removes them`, { cause: e });
      }
    });
  }

  /**
   * Waits until every write acknowledged so far, in every open collection, is on disk (see
   * Collection.sync).
   */
  async sync(): Promise<void> {
    this.checkOpen();
    for (const p of [...this.open.values()]) await (await p).sync();
  }

  /**
   * An integrity check (as Lucene's CheckIndex or SQLite's integrity_check): every checksum (the
   * catalog, manifests, segments, deletion files, log records) and every cross-reference between
   * catalog, manifests, segments and logs, reported by file. Reads only; collections open in
   * this process are checked while their commits wait.
   */
  async verify(): Promise<IntegrityReport> {
    return this.exclusive(async () => {
      this.checkOpen();
      return verifyDatabaseFolder(this.fs, this.dir, async (name) => {
        const open = this.open.get(name);
        return open === undefined ? undefined : (await open).verifyFiles();
      });
    });
  }

  /**
   * The integrity check of a database folder that is not open, changing nothing on disk (only its
   * lock is taken and released): unlike open() it works on a damaged catalog, reporting it.
   */
  static async verifyFolder(dir: string, options: { fs?: FileSystem } = {}): Promise<IntegrityReport> {
    if (typeof dir !== "string" || dir.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "Database.verifyFolder needs a folder path");
    const fs = options.fs ?? nodeFileSystem;
    await checkDatabaseFolder(fs, dir, false);
    const lock = await DirectoryLock.acquire(fs, dir, { file: DATABASE_LOCK_FILE, what: "database" });
    try {
      return await verifyDatabaseFolder(fs, dir, async () => undefined);
    } finally {
      await lock.release();
    }
  }

  /** Flushes every open collection. */
  async flush(): Promise<void> {
    this.checkOpen();
    for (const p of this.open.values()) await (await p).flush();
  }

  /** Flushes and closes every collection and releases the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.exclusive(async () => {
      this.closed = true;
      const errors: unknown[] = [];
      for (const p of [...this.open.values()]) {
        try {
          await (await p).close();
        } catch (e) {
          errors.push(e);
        }
      }
      this.open.clear();
      await this.lock.release();
      if (errors.length > 0) throw errors[0];
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The dense text encoder a new collection's `dense.encoder` names (its modelDir recorded
   * absolute, as a SPLADE folder is), checked to give vectors of `dense.dims`; undefined without one.
   */
  private async newDenseEncoder(config: CollectionConfig): Promise<DenseEncoder | undefined> {
    const wanted = config.dense?.encoder;
    if (wanted === undefined) return undefined;
    const dense = await this.createDenseEncoder(storedDenseEncoder(wanted));
    if (dense.dims !== config.dense!.dims) {
      await dense.close();
      throw new SparseDbError(
        "INVALID_ARGUMENT",
        `collection config: dense: dims is ${config.dense!.dims} but the dense encoder's model (${dense.config.modelDir}) gives vectors of ${dense.dims} values; use dims ${dense.dims}`,
      );
    }
    return dense;
  }

  private wrap(name: string, config: CollectionConfig, store: Awaited<ReturnType<CollectionOpener>>, encoder: Encoder, dense?: DenseEncoder): Collection {
    const collection: Collection = new Collection(name, config, store, encoder, dense, {
      onClose: () => {
        if (this.open.get(name) !== undefined) this.open.delete(name);
      },
    });
    return collection;
  }

  private collectionDir(name: string): string {
    return collectionDir(this.dir, name);
  }

  private encoderStatePath(name: string): string {
    return encoderStatePath(this.dir, name);
  }

  /** Commits a new catalog; the in-memory one changes only once it is durable. */
  private async commit(next: Catalog): Promise<void> {
    await writeCatalog(this.fs, this.dir, next);
    this.catalog = next;
  }

  /**
   * Deletes the folder and encoder state of a name in the catalog's `removing` list, then takes
   * it off the list. Idempotent, so a crash anywhere in it is finished by the next open.
   */
  private async removeCollectionFiles(name: string): Promise<void> {
    await removeTree(this.fs, this.collectionDir(name));
    await removeTree(this.fs, this.encoderStatePath(name));
    await this.fs.syncDir(`${this.dir}/${COLLECTIONS_DIR}`);
    await this.commit({ ...this.catalog, removing: this.catalog.removing.filter((n) => n !== name) });
  }

  /** Completes removals a crash interrupted (only those a verified catalog lists; nothing else is deleted). */
  private async finishRemovals(): Promise<void> {
    for (const name of [...this.catalog.removing]) {
      await this.removeCollectionFiles(name).catch((e) => {
        throw ioError(`removing the files of dropped collection "${name}" (${this.collectionDir(name)})`, e);
      });
    }
  }

  /**
   * A collection written before BM25 statistics joined the collection's own state (sparsedb 0.1
   * saved them in encoder-state/ on flush and close): its documents have no recorded lengths, so
   * its statistics cannot be rebuilt from them. Refused rather than opened with statistics that
   * silently count only part of the documents.
   */
  private async refuseLegacyStatistics(name: string): Promise<void> {
    const path = this.encoderStatePath(name);
    const st = await this.fs.stat(path).catch(() => null);
    if (st === null || st.isDirectory) return;
    throw new SparseDbError(
      "UNSUPPORTED_VERSION",
      `collection "${name}" was written by an older sparsedb that kept BM25 statistics in ${path}, outside the collection; ` +
        `its documents carry no lengths, so the statistics cannot be rebuilt. Re-ingest its documents into a new collection, ` +
        `or delete that file to open it with statistics that count only documents written from now on`,
    );
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private checkOpen(): void {
    if (this.closed) throw new SparseDbError("CLOSED", `database ${this.dir} is closed; open it again with Database.open()`);
  }
}

/** The store gets every option with its default filled in, so that the defaults live in one place. */
function storeOptions(c: CollectionConfig) {
  const { bits, durability, batchIntervalMs, memtableMaxDocs, storeText, metric } = withConfigDefaults(c);
    // The store keeps the dense vectors; their text encoder is the Collection's (engine/collection.ts).
  const dense = c.dense === undefined ? undefined : { dims: c.dense.dims, metric: c.dense.metric, index: c.dense.index };
  return { bits, durability, batchIntervalMs, memtableMaxDocs, storeText, metric, ...(dense === undefined ? {} : { dense }) };
}
