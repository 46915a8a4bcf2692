import { resolve } from "node:path";
import { SparseClient } from "../client/sparse-client.js";
import type { RemoteCollection } from "../client/remote-collection.js";
import { Database } from "../database.js";
import type { Collection } from "../collection.js";
import type { CollectionConfig } from "../database/collection-config.js";
import { SparseDbError } from "../errors.js";
import { DEFAULT_PORT } from "../server/server.js";
import type { CliIo } from "./cli-io.js";
import { UsageError } from "./cli-io.js";
import type { OptionSpec } from "./cli-args.js";

/** Options every data command takes: a local folder, or a running server. */
export const TARGET_OPTIONS: OptionSpec = {
  dir: { type: "string", short: "d" },
  collection: { type: "string", short: "c" },
  connect: { type: "string" },
  token: { type: "string" },
};

export const TARGET_HELP = `  -d, --dir DIR          database folder (default $SPARSEDB_DIR or ./sparsedb-data)
  -c, --collection NAME  collection (default "default")
      --connect HOST:PORT  talk to a running \`sparsedb serve\` instead of opening the folder
                         (a bare PORT means that port on 127.0.0.1)
      --token TOKEN      the server's token (default $SPARSEDB_TOKEN)`;

/** The library's Database and the TCP client have the same surface; commands use either. */
export interface Target {
  collection(name: string): Promise<Collection | RemoteCollection>;
  listCollections(): Promise<{ name: string; config: CollectionConfig; createdAt: string }[]> | { name: string; config: CollectionConfig; createdAt: string }[];
  createCollection(name: string, config: CollectionConfig): Promise<Collection | RemoteCollection>;
  dropCollection(name: string): Promise<void>;
  close(): Promise<void>;
  readonly where: string;
  /** True for a server (--connect), false for a folder opened in this process. */
  readonly remote: boolean;
}

export function databaseDir(values: Record<string, unknown>, io: CliIo): string {
  const d = typeof values.dir === "string" ? values.dir : io.env.SPARSEDB_DIR ?? "sparsedb-data";
  return resolve(io.cwd, d);
}

export function collectionName(values: Record<string, unknown>): string {
  return typeof values.collection === "string" ? values.collection : "default";
}

/** `HOST:PORT`, `HOST` (the default port), `PORT` or `:PORT` (that port on 127.0.0.1), `[IPv6]:PORT`. */
export function parseHostPort(s: string): { host: string; port: number } {
  const bare = /^:?(\d+)$/.exec(s.trim());
  const m = bare === null ? /^(?:\[([^\]]+)\]|([^:]+))?(?::(\d+))?$/.exec(s.trim()) : null;
  const portText = bare !== null ? bare[1] : m?.[3];
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if ((bare === null && m === null) || port < 1 || port > 65535) {
    throw new UsageError(`--connect expects HOST:PORT, HOST or PORT (e.g. 127.0.0.1:${DEFAULT_PORT} or ${DEFAULT_PORT}), got ${JSON.stringify(s)}`);
  }
  return { host: m?.[1] ?? m?.[2] ?? "127.0.0.1", port };
}

/** Connects to a server, with its token errors in the user's terms (the flag and the variable). */
async function connectClient(host: string, port: number, token: string | undefined): Promise<SparseClient> {
  let client: SparseClient;
  try {
    client = await SparseClient.connect({ host, port, ...(token ? { token } : {}) });
  } catch (e) {
    if (e instanceof SparseDbError && e.code === "UNAUTHORIZED") {
      throw new SparseDbError("UNAUTHORIZED", `the server at ${host}:${port} refused the token (${e.message}); check --token or SPARSEDB_TOKEN`, { cause: e });
    }
    throw e;
  }
  if (token) return client;
  // Without a token, ask once whether the server needs one, so the answer names what to do
  // rather than the protocol's auth op.
  try {
    await client.listCollections();
  } catch (e) {
    await client.close();
    if (e instanceof SparseDbError && e.code === "UNAUTHORIZED") {
      throw new SparseDbError("UNAUTHORIZED", `the server at ${host}:${port} needs a token: pass --token or set SPARSEDB_TOKEN`, { cause: e });
    }
    throw e;
  }
  return client;
}

/** Opens a database folder; LOCKED says how to reach a folder a server holds, a missing one which flag names it. */
async function openFolder(dir: string, create: boolean): Promise<Database> {
  try {
    return await Database.open(dir, { create });
  } catch (e) {
    if (!create && e instanceof SparseDbError && e.code === "NOT_FOUND" && e.message.startsWith(`database folder ${dir} does not exist`)) {
      throw new SparseDbError(
        "NOT_FOUND",
        `database folder ${dir} does not exist: pass --dir DIR (default $SPARSEDB_DIR, else ./sparsedb-data) or --connect HOST:PORT, or create a database with \`sparsedb ingest\` or \`sparsedb collections create\``,
        { cause: e },
      );
    }
    if (e instanceof SparseDbError && e.code === "LOCKED") {
      throw new SparseDbError("LOCKED", `${e.message}. If that process is \`sparsedb serve\`, go through it: pass --connect HOST:PORT instead of --dir`, { cause: e });
    }
    throw e;
  }
}

export async function openTarget(values: Record<string, unknown>, io: CliIo, options: { create?: boolean } = {}): Promise<Target> {
  if (typeof values.connect === "string") {
    if (typeof values.dir === "string") throw new UsageError("give either --dir or --connect, not both");
    const { host, port } = parseHostPort(values.connect);
    const token = typeof values.token === "string" ? values.token : io.env.SPARSEDB_TOKEN;
    const client = await connectClient(host, port, token || undefined);
    return {
      where: `${host}:${port}`,
      remote: true,
      collection: (n) => client.collection(n),
      listCollections: () => client.listCollections(),
      createCollection: (n, config) => client.createCollection(n, config),
      dropCollection: (n) => client.dropCollection(n),
      close: () => client.close(),
    };
  }
  const dir = databaseDir(values, io);
  const db = await openFolder(dir, options.create ?? false);
  return {
    where: dir,
    remote: false,
    collection: (n) => db.collection(n),
    listCollections: () => db.listCollections(),
    createCollection: (n, config) => db.createCollection(n, config),
    dropCollection: (n) => db.dropCollection(n),
    close: () => db.close(),
  };
}
