import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import { SparseServer, type ServerOptions } from "../../engine/server/server.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { SparseDbError } from "../../engine/errors.js";
import type { DocumentInput } from "../../engine/requests.js";
import type { CollectionConfig } from "../../engine/database/collection-config.js";
import { expect } from "vitest";
import { RawConnection } from "../server/raw-socket.js";
import { sparsedb } from "../cli/cli-harness.js";

/**
 * The fixture of the "same request through every entry point" tests: ROOT/cli, a database folder
 * the CLI opens on its own, and ROOT/served, one a server serves (the library's own `db`), each
 * with a collection "docs" holding `docs`; a client and a raw connection to that server.
 */
export interface EntryPoints {
  root: string;
  db: Database;
  server: SparseServer;
  client: SparseClient;
  raw: RawConnection;
  close(): Promise<void>;
}

export async function openEntryPoints(prefix: string, docs: DocumentInput[], serverOptions: ServerOptions = {}, config: CollectionConfig = {}): Promise<EntryPoints> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const cliDb = await Database.open(join(root, "cli"));
  await (await cliDb.createCollection("docs", config)).upsert(docs);
  await cliDb.close();
  const db = await Database.open(join(root, "served"));
  await (await db.createCollection("docs", config)).upsert(docs);
  const server = await SparseServer.listen(db, { port: 0, ...serverOptions });
  const client = await SparseClient.connect({ port: server.port });
  const raw = await RawConnection.open(server.port);
  return {
    root, db, server, client, raw,
    async close() {
      raw.close();
      await client.close();
      await server.close();
      await db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The SparseDbError a request fails with, as {code, message}; anything else (or success) fails the test. */
export async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SparseDbError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("the request succeeded");
}

/** The CLI refuses `args` with `CODE: message` on stderr and exit 1, on the CLI folder (--dir) and through the server (--connect). */
export async function expectCliError(entry: EntryPoints, args: string[], expected: { code: string; message: string }): Promise<void> {
  const local = await sparsedb([...args, "--dir", join(entry.root, "cli"), "-c", "docs"], { cwd: entry.root });
  expect(local.code, "CLI --dir").toBe(1);
  expect(local.stderr, "CLI --dir").toContain(`${expected.code}: ${expected.message}\n`);
  const remote = await sparsedb([...args, "--connect", `127.0.0.1:${entry.server.port}`, "-c", "docs"], { cwd: entry.root });
  expect(remote.code, "CLI --connect").toBe(1);
  expect(remote.stderr, "CLI --connect").toContain(`${expected.code}: ${expected.message}\n`);
}
