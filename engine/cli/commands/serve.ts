import { Database } from "../../database.js";
import { DEFAULT_LIMITS, type ServerLimits } from "../../server/limits.js";
import { DEFAULT_PORT, SparseServer } from "../../server/server.js";
import { intOption, parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_OK } from "../cli-io.js";
import { databaseDir } from "../target.js";
import type { Command } from "./command.js";

const LIMIT_FLAGS: Record<string, keyof ServerLimits> = {
  "max-frame-bytes": "maxFrameBytes",
  "max-vector-terms": "maxVectorTerms",
  "max-k": "maxK",
  "max-batch-docs": "maxBatchDocs",
  "max-batch-queries": "maxBatchQueries",
  "max-connections": "maxConnections",
  "max-in-flight": "maxInFlightPerConnection",
  "auth-timeout-ms": "authTimeoutMs",
  "max-unauthenticated-frame-bytes": "maxUnauthenticatedFrameBytes",
  "auth-failure-delay-ms": "authFailureDelayMs",
  "auth-failure-max-delay-ms": "authFailureMaxDelayMs",
};

const HELP = `Usage: sparsedb serve [options]

Serves a database over TCP (the protocol is in PROTOCOL.md; SparseClient speaks it). Listens on
127.0.0.1 unless told otherwise, and refuses any other address without a token. On SIGINT or
SIGTERM it stops accepting, finishes the requests in flight, answers requests already received
with UNAVAILABLE, flushes and closes.

Options:
  -d, --dir DIR              database folder (default $SPARSEDB_DIR or ./sparsedb-data)
  -p, --port PORT            default ${DEFAULT_PORT}; 0 picks a free port
      --host HOST            default 127.0.0.1
      --token TOKEN          clients must send it first (default $SPARSEDB_TOKEN); required
                             for a non-loopback --host
      --max-frame-bytes N    largest request frame (default ${DEFAULT_LIMITS.maxFrameBytes})
      --max-vector-terms N   most terms in one vector (default ${DEFAULT_LIMITS.maxVectorTerms})
      --max-k N              largest k (default ${DEFAULT_LIMITS.maxK})
      --max-batch-docs N     most documents per upsert / ids per delete (default ${DEFAULT_LIMITS.maxBatchDocs})
      --max-batch-queries N  most queries per searchBatch (default ${DEFAULT_LIMITS.maxBatchQueries})
      --max-connections N    most open connections (default ${DEFAULT_LIMITS.maxConnections})
      --max-in-flight N      most concurrent requests per connection (default ${DEFAULT_LIMITS.maxInFlightPerConnection})
      --auth-timeout-ms N    with a token: close connections not authenticated by then (default ${DEFAULT_LIMITS.authTimeoutMs})
      --max-unauthenticated-frame-bytes N
                             with a token: largest frame before auth (default ${DEFAULT_LIMITS.maxUnauthenticatedFrameBytes})
      --auth-failure-delay-ms N
                             wait before answering a failed auth, doubled for each recent
                             failure from the same address (default ${DEFAULT_LIMITS.authFailureDelayMs})
      --auth-failure-max-delay-ms N
                             the longest such wait (default ${DEFAULT_LIMITS.authFailureMaxDelayMs})
      --search-threads N     worker threads that run searches (default: one per core; 0 runs
                             them on the main thread)
  -h, --help                 this help`;

export const serveCommand: Command = {
  name: "serve",
  handlesInterrupt: true,
  summary: "serve a database over TCP",
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs("serve", argv, {
      dir: { type: "string", short: "d" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      token: { type: "string" },
      "search-threads": { type: "string" },
      ...Object.fromEntries(Object.keys(LIMIT_FLAGS).map((f) => [f, { type: "string" as const }])),
    });
    const port = intOption(values, "port", DEFAULT_PORT, 0, 65535);
    const limits: Partial<ServerLimits> = {};
    for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
      if (values[flag] !== undefined) limits[key] = intOption(values, flag, DEFAULT_LIMITS[key]);
    }
    const searchThreads = values["search-threads"] === undefined ? undefined : intOption(values, "search-threads", 0, 0, 256);
    const token = stringOption(values, "token") ?? (io.env.SPARSEDB_TOKEN || undefined);
    const host = stringOption(values, "host") ?? "127.0.0.1";
    const dir = databaseDir(values, io);
    const db = await Database.open(dir);
    let server: SparseServer;
    try {
      server = await SparseServer.listen(db, { host, port, limits, ...(searchThreads !== undefined ? { searchThreads } : {}), ...(token !== undefined ? { token } : {}) });
    } catch (e) {
      await db.close();
      throw e;
    }
    const names = db.listCollections().map((c) => c.name);
    io.stdout.write(`sparsedb serving ${dir} on ${host}:${server.port}${token ? " (token required)" : ""}; collections: ${names.join(", ") || "none yet"}\n`);
    const signal = await io.interrupted;
    io.stdout.write(`${signal}: shutting down (finishing ${server.requestsInFlight} requests in flight)\n`);
    await server.close();
    await db.close();
    io.stdout.write("stopped; data flushed\n");
    return EXIT_OK;
  },
};
