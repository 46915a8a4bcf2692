import { createServer, isIP, type Server, type Socket } from "node:net";
import { availableParallelism } from "node:os";
import type { Database } from "../database.js";
import { SparseDbError } from "../errors.js";
import { AuthThrottle, tokenChecker } from "./auth-throttle.js";
import { encodeFrame } from "./frame.js";
import { Connection } from "./connection.js";
import { resolveLimits, type ServerLimits } from "./limits.js";
import type { OperationContext } from "./operations.js";
import { RunQueue } from "./run-queue.js";
import { WriteActivity } from "./write-activity.js";
import { acquireSearchPool, releaseSearchPool, type SearchPool } from "./search-pool.js";

export interface ServerOptions {
  /** 127.0.0.1 by default. Any address that is not loopback needs a token. */
  host?: string;
  /** 7700 by default; 0 picks a free port (see `address`). */
  port?: number;
  /** When set, every connection must send `auth` with this token before other ops. */
  token?: string;
  limits?: Partial<ServerLimits>;
  /**
   * Worker threads that run segment searches (search-pool.ts): one per core by default; 0 runs
   * every search on the server's main thread. The first server of a process sets the count.
   */
  searchThreads?: number;
}

export const DEFAULT_PORT = 7700;

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1" || host.toLowerCase().startsWith("::ffff:127.");
  return false;
}

/**
 * The TCP server: serves one Database over the framed MessagePack protocol of PROTOCOL.md.
 *
 *   const server = await SparseServer.listen(db, { port: 7700 });
 *   ...
 *   await server.close();   // stop accepting, finish in-flight requests, close connections
 *   await db.close();       // flush
 */
export class SparseServer {
  private readonly connections = new Set<Connection>();
  private draining = false;
  private requestsServed = 0;
  private readonly startedAt = Date.now();
  private closePromise: Promise<void> | undefined;
  /** @internal the fair scheduler every connection's requests go through */
  readonly runQueue = new RunQueue();
  /** @internal write requests running now or lately: while so, searches leave the main thread a core */
  readonly writes = new WriteActivity();
  private readonly removePriorityRule: (() => void) | undefined;
  /** @internal failed-auth bookkeeping per peer address */
  readonly authThrottle: AuthThrottle;

  private constructor(
    private readonly server: Server,
    readonly limits: ServerLimits,
    readonly host: string,
    readonly port: number,
    /** @internal the worker threads searching for this server, if any */
    readonly searchPool: SearchPool | undefined,
  ) {
    this.authThrottle = new AuthThrottle({
      baseDelayMs: limits.authFailureDelayMs,
      maxDelayMs: limits.authFailureMaxDelayMs,
      forgetAfterMs: 10 * 60_000,
      maxAddresses: 10_000,
    });
    this.removePriorityRule = searchPool?.addPriorityRule(() => this.writes.active);
  }

  static async listen(db: Database, options: ServerOptions = {}): Promise<SparseServer> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? DEFAULT_PORT;
    const limits = resolveLimits(options.limits);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SparseDbError("INVALID_ARGUMENT", `port ${port} is not in 0..65535`);
    if (options.token !== undefined && options.token.length < 8) {
      throw new SparseDbError("INVALID_ARGUMENT", "the token is too short: use at least 8 characters (16 or more random ones are better)");
    }
    if (!isLoopback(host) && options.token === undefined) {
      throw new SparseDbError(
        "UNAUTHORIZED",
        `refusing to listen on ${host} without a token: anyone who can reach it could read and change the data. Pass a token (--token or SPARSEDB_TOKEN), or listen on 127.0.0.1`,
      );
    }
    const threads = options.searchThreads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 0 || threads > 256) throw new SparseDbError("INVALID_ARGUMENT", `searchThreads is ${threads}; use an integer in 0..256 (0: search on the main thread)`);
    const checkToken = options.token === undefined ? undefined : tokenChecker(options.token);
    const server = createServer({ pauseOnConnect: false });
    let instance: SparseServer | undefined;
    const context: OperationContext = {
      db,
      limits,
      serverStats: () => instance!.stats(db),
    };
    server.on("connection", (socket: Socket) => instance!.accept(socket, context, checkToken));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(new SparseDbError("IO_ERROR", `cannot listen on ${host}:${port}: ${e.code ?? e.message}`, { cause: e })),
      );
      server.listen(port, host, () => resolve());
    });
    // Without the built worker or shared kernel (running from sources unbuilt) searches stay in-process.
    const pool = threads > 0 ? acquireSearchPool(threads) : undefined;
    server.on("error", () => undefined);
    const address = server.address();
    const boundPort = typeof address === "object" && address !== null ? address.port : port;
    instance = new SparseServer(server, limits, host, boundPort, pool);
    return instance;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Requests being worked on now, over all connections. */
  get requestsInFlight(): number {
    let n = 0;
    for (const c of this.connections) n += c.requestsInFlight;
    return n;
  }

  /** @internal per connection: memory held for unfinished frames, bytes received, authenticated or not */
  connectionBuffers(): { bufferedBytes: number; bytesReceived: number; authenticated: boolean }[] {
    return [...this.connections].map((c) => c.buffers);
  }

  private accept(socket: Socket, context: OperationContext, checkToken: ((t: string) => boolean) | undefined): void {
    socket.on("error", () => socket.destroy());
    if (this.draining) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.limits.maxConnections) {
      socket.end(encodeFrame({ id: null, error: { code: "LIMIT_EXCEEDED", message: `the server has its maximum of ${this.limits.maxConnections} connections; retry later` } }));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const connection = new Connection(socket, {
      context,
      checkToken,
      throttle: this.authThrottle,
      isDraining: () => this.draining,
      onRequestDone: () => this.requestsServed++,
      runQueue: this.runQueue,
      writes: this.writes,
    });
    this.connections.add(connection);
    socket.on("close", () => this.connections.delete(connection));
  }

  private stats(db: Database): Record<string, unknown> {
    const cpu = process.cpuUsage();
    let bufferedBytes = 0;
    for (const c of this.connections) bufferedBytes += c.buffers.bufferedBytes;
    return {
      connections: this.connections.size,
      /** Memory held for unfinished request frames, over all connections. */
      bufferedBytes,
      requestsServed: this.requestsServed,
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
      /** The server process's CPU time so far (user + system), for load-independent benchmarks. */
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      collections: db.listCollections().map((c) => c.name),
      limits: this.limits,
      /** Worker threads searching (0: searches run on the main thread). */
      searchThreads: this.searchPool?.size ?? 0,
      /** Searches the threads ran, those that waited for a free thread, and those sent while writes held a thread back. */
      searchesInThreads: this.searchPool?.searchesInWorkers ?? 0,
      searchesQueued: this.searchPool?.searchesQueued ?? 0,
      searchDispatchesHeldBack: this.searchPool?.dispatchesHeldBack ?? 0,
    };
  }

  /**
   * Graceful shutdown: stops accepting, lets in-flight requests finish, answers every request
   * already received with UNAVAILABLE, then closes every connection. The caller then closes the
   * database.
   */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.draining = true;
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      await Promise.all([...this.connections].map((c) => c.drain()));
      for (const c of this.connections) c.end();
      await stopped;
      this.removePriorityRule?.();
      if (this.searchPool !== undefined) await releaseSearchPool(this.searchPool);
    })();
    return this.closePromise;
  }
}
