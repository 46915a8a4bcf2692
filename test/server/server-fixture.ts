import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { Database, type DatabaseOptions } from "../../engine/database.js";
import { SparseServer, type ServerOptions } from "../../engine/server/server.js";
import { SparseClient, type ClientOptions } from "../../engine/client/sparse-client.js";
import { createTestEncoder, fakeBackends } from "../database/fake-collection.js";

/**
 * A database in a temp folder served on an ephemeral 127.0.0.1 port. Uses the real storage
 * when SPARSEDB_TEST_FAKE_STORAGE is unset and engine/collection/collection-store.ts exists; the in-memory stand-in
 * otherwise.
 */
export interface ServedDatabase {
  dir: string;
  db: Database;
  server: SparseServer;
  port: number;
  client(options?: ClientOptions): Promise<SparseClient>;
  stop(): Promise<void>;
}

export async function backends(): Promise<DatabaseOptions> {
  if (process.env.SPARSEDB_TEST_FAKE_STORAGE === "1") return fakeBackends;
  // The real storage; BM25 made directly so these tests do not depend on model loading.
  return { openCollection: (dir, o) => CollectionStore.open(dir, o), createEncoder: createTestEncoder, defaultEncoder: { kind: "bm25" } };
}

export async function serveDatabase(options: ServerOptions = {}, dbOptions?: DatabaseOptions): Promise<ServedDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "sparsedb-server-"));
  const db = await Database.open(dir, dbOptions ?? (await backends()));
  const server = await SparseServer.listen(db, { port: 0, ...options });
  const clients: SparseClient[] = [];
  return {
    dir,
    db,
    server,
    port: server.port,
    async client(o: ClientOptions = {}) {
      const c = await SparseClient.connect({ port: server.port, ...o });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) await c.close();
      await server.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
