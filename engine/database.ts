import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Encoder, EncoderConfig } from "../encoder/encoder.js";
import { SparseDbError } from "./errors.js";
import { readCatalog, writeCatalog, writeFileAtomic, CATALOG_FORMAT, type CatalogJson } from "./database/catalog.js";
import { checkCollectionConfig, withConfigDefaults, type CollectionConfig } from "./database/collection-config.js";
import { checkCollectionName } from "./database/collection-name.js";
import type { CollectionOpener } from "./database/collection-store.js";
import { DatabaseCollection } from "./database/database-collection.js";
import { DatabaseLock } from "./database/database-lock.js";

export type { CollectionConfig } from "./database/collection-config.js";
export type { DocumentInput, SearchHit, SearchRequest, StoredDocument, ExplainTerm, Durability, SearchMode } from "./database/collection-store.js";
export { DatabaseCollection } from "./database/database-collection.js";

/** Creates an encoder from its config and, for BM25, its saved corpus statistics. */
export type EncoderFactory = (config: EncoderConfig, statistics?: unknown) => Promise<Encoder>;

export interface DatabaseOptions {
  /** Create the database when the folder (or its catalog) does not exist (default true). */
  create?: boolean;
  /** Advanced: the storage backend (default: engine/collection.ts). Tests substitute their own. */
  openCollection?: CollectionOpener;
  /** Advanced: how encoders are made (default: encoder/ createEncoder). */
  createEncoder?: EncoderFactory;
  /**
   * The encoder of collections created without one. Default: lexical BM25 over BERT's WordPiece
   * vocabulary when the reference tokenizer is present, else over the built-in sample vocabulary.
   */
  defaultEncoder?: EncoderConfig;
}

export interface CollectionInfo {
  name: string;
  config: CollectionConfig;
  createdAt: string;
}

const COLLECTIONS_DIR = "collections";
const ENCODER_STATE_DIR = "encoder-state";

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
  private readonly open = new Map<string, Promise<DatabaseCollection>>();
  private mutex: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    private catalog: CatalogJson,
    private readonly lock: DatabaseLock,
    private readonly openCollection: CollectionOpener,
    private readonly createEncoder: EncoderFactory,
    private readonly defaultEncoder: EncoderConfig,
  ) {}

  static async open(dir: string, options: DatabaseOptions = {}): Promise<Database> {
    if (typeof dir !== "string" || dir.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "Database.open needs a folder path");
    const exists = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!exists) {
      if (options.create === false) throw new SparseDbError("NOT_FOUND", `database folder ${dir} does not exist; create it or open with {create: true}`);
      await mkdir(dir, { recursive: true });
    }
    let openCollection = options.openCollection;
    let createEncoder = options.createEncoder;
    let defaultEncoder = options.defaultEncoder;
    if (openCollection === undefined || createEncoder === undefined || defaultEncoder === undefined) {
      const backends = await import("./database/default-backends.js");
      openCollection ??= backends.openStoredCollection;
      createEncoder ??= backends.createEncoderWithStatistics;
      defaultEncoder ??= backends.defaultEncoderConfig();
    }
    const lock = await DatabaseLock.acquire(dir);
    try {
      let catalog = await readCatalog(dir);
      if (catalog === undefined) {
        if (options.create === false) {
          throw new SparseDbError("NOT_FOUND", `${dir} is not a sparsedb database (no sparsedb.json); create one with Database.open(dir) or \`sparsedb ingest\``);
        }
        catalog = { format: CATALOG_FORMAT, collections: {} };
        await writeCatalog(dir, catalog);
      }
      await mkdir(join(dir, COLLECTIONS_DIR), { recursive: true });
      await mkdir(join(dir, ENCODER_STATE_DIR), { recursive: true });
      const db = new Database(dir, catalog, lock, openCollection, createEncoder, defaultEncoder);
      await db.removeOrphans();
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

  /** Creates a collection; its config (encoder, bits, durability) is persisted. */
  async createCollection(name: string, config: CollectionConfig = {}): Promise<DatabaseCollection> {
    return this.exclusive(async () => {
      this.checkOpen();
      checkCollectionName(name);
      const checked = checkCollectionConfig(config);
      const clash = Object.keys(this.catalog.collections).find((n) => n.toLowerCase() === name.toLowerCase());
      if (clash !== undefined) {
        throw new SparseDbError("ALREADY_EXISTS", `collection "${clash}" already exists; drop it first or choose another name (names are case-insensitive)`);
      }
      const encoder = await this.createEncoder(checked.encoder ?? this.defaultEncoder);
      // Persist the encoder's full config (defaults filled in) so a reopen makes the same encoder.
      const resolved: CollectionConfig = { ...checked, encoder: encoder.config };
      let store;
      try {
        store = await this.openCollection(this.collectionDir(name), { ...storeOptions(resolved), encoder, create: true });
      } catch (e) {
        await encoder.close();
        await rm(this.collectionDir(name), { recursive: true, force: true });
        throw e;
      }
      const collection = this.wrap(name, resolved, store, encoder);
      this.catalog = {
        ...this.catalog,
        collections: { ...this.catalog.collections, [name]: { config: resolved, createdAt: new Date().toISOString() } },
      };
      try {
        await writeCatalog(this.dir, this.catalog);
      } catch (e) {
        await collection.close().catch(() => undefined);
        throw e;
      }
      this.open.set(name, Promise.resolve(collection));
      return collection;
    });
  }

  /** The named collection, opened on first use; NOT_FOUND when it does not exist. */
  async collection(name: string): Promise<DatabaseCollection> {
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
        throw new SparseDbError("NOT_FOUND", `no collection "${name}" in ${this.dir}; create it first (existing: ${Object.keys(this.catalog.collections).join(", ") || "none"})`);
      }
      const config = entry.config;
      const statistics = await this.readEncoderState(name);
      const encoder = await this.createEncoder(config.encoder ?? this.defaultEncoder, statistics);
      let store;
      try {
        store = await this.openCollection(this.collectionDir(name), { ...storeOptions(config), encoder, create: false });
      } catch (e) {
        await encoder.close();
        throw e;
      }
      const p = Promise.resolve(this.wrap(name, config, store, encoder));
      this.open.set(name, p);
      return p;
    });
  }

  /** Deletes a collection and its files. */
  async dropCollection(name: string): Promise<void> {
    return this.exclusive(async () => {
      this.checkOpen();
      checkCollectionName(name);
      if (!this.hasCollection(name)) throw new SparseDbError("NOT_FOUND", `no collection "${name}" to drop`);
      const open = this.open.get(name);
      if (open !== undefined) await (await open).close();
      // Move the folder aside first: a crash after the catalog commit leaves only an orphan
      // that the next open removes, never a catalog entry without its files.
      const aside = join(this.dir, COLLECTIONS_DIR, `.dropped-${name}-${Date.now()}`);
      await rename(this.collectionDir(name), aside).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
      const collections = { ...this.catalog.collections };
      delete collections[name];
      this.catalog = { ...this.catalog, collections };
      await writeCatalog(this.dir, this.catalog);
      await rm(aside, { recursive: true, force: true });
      await rm(this.encoderStatePath(name), { force: true });
    });
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

  private wrap(name: string, config: CollectionConfig, store: Awaited<ReturnType<CollectionOpener>>, encoder: Encoder): DatabaseCollection {
    const collection: DatabaseCollection = new DatabaseCollection(name, config, store, encoder, {
      saveEncoderState: () => this.saveEncoderState(name, encoder),
      onClose: () => {
        if (this.open.get(name) !== undefined) this.open.delete(name);
      },
    });
    return collection;
  }

  private collectionDir(name: string): string {
    return join(this.dir, COLLECTIONS_DIR, name);
  }

  private encoderStatePath(name: string): string {
    return join(this.dir, ENCODER_STATE_DIR, `${name}.json`);
  }

  /** BM25's document frequencies and lengths, saved on flush and close. */
  private async saveEncoderState(name: string, encoder: Encoder): Promise<void> {
    if (encoder.corpusStatistics === undefined) return;
    await writeFileAtomic(join(this.dir, ENCODER_STATE_DIR), `${name}.json`, JSON.stringify(encoder.corpusStatistics.toJSON()));
  }

  private async readEncoderState(name: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.encoderStatePath(name), "utf8"));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new SparseDbError("CORRUPTION", `cannot read encoder statistics ${this.encoderStatePath(name)}: ${(e as Error).message}; delete the file to start the statistics afresh`);
    }
  }

  /** Folders that no catalog entry names: left by a crash during create or drop. */
  private async removeOrphans(): Promise<void> {
    const root = join(this.dir, COLLECTIONS_DIR);
    for (const entry of await readdir(root)) {
      if (!this.hasCollection(entry)) await rm(join(root, entry), { recursive: true, force: true });
    }
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
  const { bits, durability, batchIntervalMs, memtableMaxDocs } = withConfigDefaults(c);
  return { bits, durability, batchIntervalMs, memtableMaxDocs };
}
