import { resolve } from "node:path";
import { SparseClient } from "../client/sparse-client.js";
import type { RemoteCollection } from "../client/remote-collection.js";
import { Database } from "../database.js";
import type { Collection } from "../collection.js";
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
      --token TOKEN      the server's token (default $SPARSEDB_TOKEN)`;

/** The library's Database and the TCP client have the same surface; commands use either. */
export interface Target {
  collection(name: string): Promise<Collection | RemoteCollection>;
  listCollections(): Promise<{ name: string }[]> | { name: string }[];
  close(): Promise<void>;
  readonly where: string;
}

export function databaseDir(values: Record<string, unknown>, io: CliIo): string {
  const d = typeof values.dir === "string" ? values.dir : io.env.SPARSEDB_DIR ?? "sparsedb-data";
  return resolve(io.cwd, d);
}

export function collectionName(values: Record<string, unknown>): string {
  return typeof values.collection === "string" ? values.collection : "default";
}

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))?(?::(\d+))?$/.exec(s);
  const port = m?.[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (m === null || port > 65535) throw new UsageError(`--connect expects HOST:PORT (e.g. 127.0.0.1:7700), got ${JSON.stringify(s)}`);
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port };
}

export async function openTarget(values: Record<string, unknown>, io: CliIo, options: { create?: boolean } = {}): Promise<Target> {
  if (typeof values.connect === "string") {
    if (typeof values.dir === "string") throw new UsageError("give either --dir or --connect, not both");
    const { host, port } = parseHostPort(values.connect);
    const token = typeof values.token === "string" ? values.token : io.env.SPARSEDB_TOKEN;
    const client = await SparseClient.connect({ host, port, ...(token ? { token } : {}) });
    return {
      where: `${host}:${port}`,
      collection: (n) => client.collection(n),
      listCollections: () => client.listCollections(),
      close: () => client.close(),
    };
  }
  const dir = databaseDir(values, io);
  const db = await Database.open(dir, { create: options.create ?? false });
  return {
    where: dir,
    collection: (n) => db.collection(n),
    listCollections: () => db.listCollections(),
    close: () => db.close(),
  };
}
