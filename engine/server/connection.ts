import type { Socket } from "node:net";
import { SparseDbError } from "../errors.js";
import { decodeBody, encodeFrame, FrameDecoder, FrameTooLargeError } from "./frame.js";
import { OPERATIONS, type OperationContext } from "./operations.js";
import { checkPlainData, isMap } from "./wire-values.js";

/** A request id: a non-negative integer or a short string, echoed in the reply. */
type RequestId = number | string | null;

export interface ConnectionOptions {
  context: OperationContext;
  /** Checks an `auth` token; undefined means the server needs none. */
  checkToken: ((token: string) => boolean) | undefined;
  /** True once the server is shutting down: new requests are refused. */
  isDraining(): boolean;
  onRequestDone(): void;
}

/**
 * One client connection: frames in, requests run (several at once, so a client may pipeline),
 * replies out in completion order with the request's id. A frame that cannot be parsed closes
 * the connection (the stream position is lost); a parsed but wrong request gets an error reply.
 */
export class Connection {
  private readonly decoder: FrameDecoder;
  private authenticated: boolean;
  private inFlight = 0;
  private paused = false;
  private closing = false;
  private idle: (() => void)[] = [];
  private authTimer: NodeJS.Timeout | undefined;

  constructor(private readonly socket: Socket, private readonly options: ConnectionOptions) {
    this.decoder = new FrameDecoder(options.context.limits.maxFrameBytes);
    this.authenticated = options.checkToken === undefined;
    if (!this.authenticated) {
      this.authTimer = setTimeout(() => {
        this.send({ id: null, error: { code: "UNAUTHORIZED", message: `not authenticated within ${options.context.limits.authTimeoutMs} ms; closing the connection` } });
        this.end();
      }, options.context.limits.authTimeoutMs);
      this.authTimer.unref();
    }
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (this.authTimer !== undefined) clearTimeout(this.authTimer);
      this.closing = true;
      this.resolveIdle();
    });
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves when no request of this connection is running. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Ends the connection once pending replies are written. */
  end(): void {
    this.closing = true;
    this.socket.end();
    // A peer that never reads must not hold the server open.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let payloads: Buffer[];
    try {
      payloads = this.decoder.push(chunk);
    } catch (e) {
      if (e instanceof FrameTooLargeError) this.fail(null, "LIMIT_EXCEEDED", `${e.message}; closing the connection`);
      else this.fail(null, "INTERNAL", `cannot read frames: ${(e as Error).message}`);
      return;
    }
    for (const payload of payloads) {
      if (this.closing) return;
      let body: unknown;
      try {
        body = decodeBody(payload);
      } catch (e) {
        this.fail(null, "INVALID_ARGUMENT", `frame body is not one valid MessagePack value (${(e as Error).message}); closing the connection`);
        return;
      }
      this.handle(body);
    }
  }

  /** Replies with an error that has no request to belong to, then closes. */
  private fail(id: RequestId, code: string, message: string): void {
    this.send({ id, error: { code, message } });
    this.end();
  }

  private handle(body: unknown): void {
    if (!isMap(body)) {
      this.send({ id: null, error: { code: "INVALID_ARGUMENT", message: "a request must be a map {id, op, args}" } });
      return;
    }
    const id = body.id;
    const validId = (typeof id === "number" && Number.isSafeInteger(id) && id >= 0) || (typeof id === "string" && id.length <= 256);
    if (!validId) {
      this.send({ id: null, error: { code: "INVALID_ARGUMENT", message: "request id must be a non-negative integer or a string of at most 256 characters" } });
      return;
    }
    this.inFlight++;
    if (this.inFlight >= this.options.context.limits.maxInFlightPerConnection && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.run(body.op, body.args).then(
      (result) => this.send({ id, result: result ?? null }),
      (e: unknown) => this.send({ id, error: errorToWire(e) }),
    ).finally(() => {
      this.inFlight--;
      this.options.onRequestDone();
      if (this.paused && this.inFlight < this.options.context.limits.maxInFlightPerConnection) {
        this.paused = false;
        this.socket.resume();
      }
      if (this.inFlight === 0) this.resolveIdle();
    });
  }

  private async run(op: unknown, args: unknown): Promise<unknown> {
    if (typeof op !== "string") throw new SparseDbError("INVALID_ARGUMENT", "request op must be a string");
    if (this.options.isDraining()) throw new SparseDbError("UNAVAILABLE", "the server is shutting down; retry against another server or later");
    if (args === undefined || args === null) args = {};
    if (!isMap(args)) throw new SparseDbError("INVALID_ARGUMENT", "request args must be a map");
    checkPlainData(args, "args");
    if (op === "auth") return this.auth(args);
    if (!this.authenticated && op !== "ping") {
      throw new SparseDbError("UNAUTHORIZED", `op "${op}" needs authentication: send {op: "auth", args: {token}} first`);
    }
    if (!Object.prototype.hasOwnProperty.call(OPERATIONS, op)) {
      throw new SparseDbError("INVALID_ARGUMENT", `unknown op "${op.slice(0, 64)}"; known ops: auth, ${Object.keys(OPERATIONS).join(", ")}`);
    }
    return OPERATIONS[op]!(args, this.options.context);
  }

  private auth(args: Record<string, unknown>): unknown {
    if (this.options.checkToken === undefined) return { authenticated: true };
    if (typeof args.token === "string" && this.options.checkToken(args.token)) {
      this.authenticated = true;
      if (this.authTimer !== undefined) clearTimeout(this.authTimer);
      return { authenticated: true };
    }
    // A wrong token ends the connection, so tokens cannot be guessed quickly on one socket.
    setImmediate(() => this.end());
    throw new SparseDbError("UNAUTHORIZED", "wrong token; the connection will be closed");
  }

  private send(reply: unknown): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(reply);
    } catch (e) {
      const id = isMap(reply) ? reply.id : null;
      frame = encodeFrame({ id, error: { code: "INTERNAL", message: `cannot encode the reply: ${(e as Error).message}` } });
    }
    if (frame.length - 4 > this.options.context.limits.maxFrameBytes) {
      const id = isMap(reply) ? reply.id : null;
      frame = encodeFrame({ id, error: { code: "LIMIT_EXCEEDED", message: `the reply would be ${frame.length} bytes, over the frame limit; ask for less (smaller k, fewer ids)` } });
    }
    this.socket.write(frame);
  }

  private resolveIdle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const r of waiting) r();
  }
}

export function errorToWire(e: unknown): { code: string; message: string } {
  if (e instanceof SparseDbError) return { code: e.code, message: e.message };
  const err = e as Error;
  // A RangeError from deep recursion or a bug elsewhere: the request fails, the server goes on.
  return { code: "INTERNAL", message: `internal error: ${err?.message ?? String(e)}` };
}
