import { connect as netConnect, type Socket } from "node:net";
import type { CollectionConfig } from "../database/collection-config.js";
import { SparseDbError, type ErrorCode } from "../errors.js";
import { decodeBody, encodeFrame, FrameDecoder } from "../server/frame.js";
import { DEFAULT_PORT } from "../server/server.js";
import { RemoteCollection } from "./remote-collection.js";

export interface ClientOptions {
  host?: string;
  port?: number;
  /** Sent with `auth` on every (re)connection when the server needs one. */
  token?: string;
  /** A request that gets no reply within this many ms fails with TIMEOUT (default 30000; 0 = never). */
  timeoutMs?: number;
  /** Connecting gives up after this many ms (default 5000). */
  connectTimeoutMs?: number;
  /** After a lost connection, the next request reconnects, trying this many times (default 3; 0 = never). */
  reconnectRetries?: number;
  /** Pause between reconnection attempts, doubled each time up to 2 s (default 100 ms). */
  reconnectDelayMs?: number;
  /** Largest reply frame accepted (default 256 MiB). */
  maxFrameBytes?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const KNOWN_CODES = new Set<string>([
  "INVALID_ARGUMENT", "INVALID_VECTOR", "NOT_FOUND", "ENCODER_FILE_NOT_FOUND", "ALREADY_EXISTS", "CORRUPTION", "IO_ERROR", "LOCKED",
  "UNSUPPORTED_VERSION", "CLOSED", "LIMIT_EXCEEDED", "ENCODER_ERROR", "CANCELLED", "UNAUTHORIZED", "TIMEOUT",
  "UNAVAILABLE", "INTERNAL",
]);

/**
 * A TypeScript client for `sparsedb serve`, with the surface of the library's Database:
 *
 *   const client = await SparseClient.connect({ port: 7700 });
 *   const docs = await client.collection("docs");
 *   const hits = await docs.search({ text: "hello", k: 10, explain: true });
 *   await client.close();
 *
 * Requests are pipelined over one connection. Errors are SparseDbError with the server's code;
 * TIMEOUT when no reply came in time, UNAVAILABLE when the connection is lost (a request that was
 * in flight then may or may not have been applied). A lost connection is re-established on the
 * next request; requests are never resent by the client.
 */
export class SparseClient {
  private socket: Socket | undefined;
  private connecting: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly opts: Required<Omit<ClientOptions, "token">> & { token: string | undefined };

  private constructor(options: ClientOptions) {
    this.opts = {
      host: options.host ?? "127.0.0.1",
      port: options.port ?? DEFAULT_PORT,
      token: options.token,
      timeoutMs: options.timeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      reconnectRetries: options.reconnectRetries ?? 3,
      reconnectDelayMs: options.reconnectDelayMs ?? 100,
      maxFrameBytes: options.maxFrameBytes ?? 256 * 1024 * 1024,
    };
  }

  /** Connects (and authenticates when a token is given); UNAVAILABLE when the server cannot be reached. */
  static async connect(options: ClientOptions = {}): Promise<SparseClient> {
    const client = new SparseClient(options);
    await client.ensureConnected(0);
    return client;
  }

  get isConnected(): boolean {
    const s = this.socket;
    return s !== undefined && !s.destroyed && s.writable && !s.readableEnded;
  }

  /** Sends one request; resolves with its result or rejects with a SparseDbError. */
  async request(op: string, args: Record<string, unknown> = {}, options: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.closed) throw new SparseDbError("CLOSED", "the client is closed; connect a new one");
    if (!this.isConnected) await this.ensureConnected(this.opts.reconnectRetries);
    return this.send(op, args, options.timeoutMs ?? this.opts.timeoutMs);
  }

  async ping(): Promise<{ pong: boolean; protocol: number }> {
    return (await this.request("ping")) as { pong: boolean; protocol: number };
  }

  async listCollections(): Promise<{ name: string; config: CollectionConfig; createdAt: string }[]> {
    return (await this.request("listCollections")) as { name: string; config: CollectionConfig; createdAt: string }[];
  }

  async createCollection(name: string, config: CollectionConfig = {}): Promise<RemoteCollection> {
    const d = (await this.request("createCollection", { name, config })) as { name: string; config: CollectionConfig; encoder: string };
    return new RemoteCollection(this, d.name, d.config, d.encoder);
  }

  /** The named collection; NOT_FOUND when it does not exist. */
  async collection(name: string): Promise<RemoteCollection> {
    const d = (await this.request("describeCollection", { collection: name })) as { name: string; config: CollectionConfig; encoder: string };
    return new RemoteCollection(this, d.name, d.config, d.encoder);
  }

  async dropCollection(name: string): Promise<void> {
    await this.request("dropCollection", { name });
  }

  /** Resolves once every write the server acknowledged, in every open collection, is on its disk. */
  async sync(): Promise<void> {
    await this.request("sync");
  }

  /** The server's own figures: connections, requests served, uptime, collections, limits. */
  async serverStats(): Promise<Record<string, unknown>> {
    return (await this.request("stats")) as Record<string, unknown>;
  }

  /** Closes the connection; pending requests fail with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new SparseDbError("CLOSED", "the client was closed before the reply came"));
    const s = this.socket;
    this.socket = undefined;
    if (s !== undefined && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once("close", () => resolve());
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    }
  }

  private send(op: string, args: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) {
      return Promise.reject(new SparseDbError("UNAVAILABLE", `not connected to ${this.opts.host}:${this.opts.port}`));
    }
    const id = this.nextId++;
    if (this.nextId > 0x7fffffff) this.nextId = 1;
    let frame: Buffer;
    try {
      frame = encodeFrame({ id, op, args });
    } catch (e) {
      return Promise.reject(new SparseDbError("INVALID_ARGUMENT", `cannot encode the request: ${(e as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => {
            this.pending.delete(id);
            reject(new SparseDbError("TIMEOUT", `no reply to "${op}" within ${timeoutMs} ms; the server may be overloaded (raise timeoutMs) or unreachable`));
          }, timeoutMs)
        : undefined;
      this.pending.set(id, { resolve, reject, timer });
      socket.write(frame);
    });
  }

  private async ensureConnected(retries: number): Promise<void> {
    if (this.isConnected) return;
    this.connecting ??= (async () => {
      let delay = this.opts.reconnectDelayMs;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.openSocket();
          if (this.opts.token !== undefined) await this.send("auth", { token: this.opts.token }, this.opts.timeoutMs);
          return;
        } catch (e) {
          const code = (e as SparseDbError).code;
          if (code === "UNAUTHORIZED" || attempt >= retries) throw e;
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 2000);
        }
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private openSocket(): Promise<void> {
    const { host, port, connectTimeoutMs } = this.opts;
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      const decoder = new FrameDecoder(this.opts.maxFrameBytes);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SparseDbError("UNAVAILABLE", `cannot connect to ${host}:${port} within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        this.socket = socket;
        resolve();
      });
      socket.on("data", (chunk: Buffer) => {
        try {
          for (const payload of decoder.push(chunk)) this.onReply(socket, decodeBody(payload));
        } catch (e) {
          socket.destroy(new SparseDbError("INTERNAL", `unreadable reply from the server: ${(e as Error).message}`));
        }
      });
      socket.on("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new SparseDbError("UNAVAILABLE", `cannot reach sparsedb at ${host}:${port}: ${e.code ?? e.message}; is \`sparsedb serve\` running?`));
      });
      // The server ended the connection (after an error, or shutting down): the next request
      // must not be written into it but reconnect.
      socket.on("end", () => {
        if (this.socket === socket) this.socket = undefined;
      });
      socket.on("close", () => {
        clearTimeout(timer);
        if (this.socket === socket) this.socket = undefined;
        this.failAll(new SparseDbError("UNAVAILABLE", `the connection to ${host}:${port} was lost; the request may or may not have been applied`));
      });
    });
  }

  private onReply(socket: Socket, body: unknown): void {
    const reply = body as { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
    if (reply === null || typeof reply !== "object") return;
    const error = reply.error;
    if (reply.id === null || reply.id === undefined) {
      // A connection-level error (frame too large, connection limit, auth timeout): the server
      // closes the connection after it. Drop it now, so that the next request reconnects
      // instead of being written into a closing socket, and fail everything waiting on it.
      if (error) {
        if (this.socket === socket) this.socket = undefined;
        socket.destroy();
        const e = wireError(error);
        this.failAll(new SparseDbError(e.code, `${e.message} (requests in flight on that connection may or may not have been applied; the next request reconnects)`));
      }
      return;
    }
    const p = this.pending.get(reply.id as number);
    if (p === undefined) return; // timed out earlier
    this.pending.delete(reply.id as number);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (error) p.reject(wireError(error));
    else p.resolve(reply.result);
  }

  private failAll(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(error);
    }
  }
}

function wireError(e: { code?: unknown; message?: unknown }): SparseDbError {
  const code = typeof e.code === "string" && KNOWN_CODES.has(e.code) ? (e.code as ErrorCode) : "INTERNAL";
  return new SparseDbError(code, typeof e.message === "string" ? e.message : `server error ${String(e.code)}`);
}
