import type { Socket } from "node:net";
import { SparseDbError } from "../errors.js";
import type { AuthThrottle } from "./auth-throttle.js";
import { decodeBody, encodeFrame, FrameDecoder, FrameTooLargeError } from "./frame.js";
import { OPERATIONS, type OperationContext } from "./operations.js";
import type { Lane, RunQueue, Schedulable } from "./run-queue.js";
import { checkPlainData, isMap } from "./wire-values.js";
import type { WriteActivity } from "./write-activity.js";

/** A request id: any integer MessagePack can carry (bigint beyond 2^53) or a short string, echoed exactly. */
type RequestId = number | bigint | string | null;

/**
 * A connection that has this many bytes of received, not yet started requests waiting in the run
 * queue stops reading until the queue reaches it (TCP holds the rest), so a client that pipelines
 * faster than it is served is slowed rather than buffered.
 */
const READ_AHEAD_BYTES = 256 * 1024;

/** Light requests (see isLight) that one read may run at once, ahead of the run queue. */
const INLINE_PER_READ = 8;

/** During shutdown a connection keeps reading (and refusing) for at most this long once its requests are done. */
const SHUTDOWN_READ_GRACE_MS = 2000;

export interface ConnectionOptions {
  context: OperationContext;
  /** Checks an `auth` token; undefined means the server needs none. */
  checkToken: ((token: string) => boolean) | undefined;
  /** Slows repeated auth failures from one peer address. */
  throttle: AuthThrottle;
  /** True once the server is shutting down: new requests are refused. */
  isDraining(): boolean;
  onRequestDone(): void;
  /** The server's fair scheduler: requests start when the connection's turn comes. */
  runQueue: RunQueue;
  /** Told when write requests start and end (the search pool's priority rule). */
  writes?: WriteActivity;
}

/**
 * One client connection: frames in, requests run (several at once, so a client may pipeline),
 * replies out in completion order with the request's id (replies completed together leave in
 * one socket write). Frames are taken one at a time, so
 * that nothing behind a failed `auth` is even parsed, and the frame limit rises only once the
 * connection has authenticated. A frame that cannot be parsed closes the connection (the stream
 * position is lost); a parsed but wrong request gets an error reply.
 *
 * Requests start when the run queue gives the connection a turn (one request per turn, see
 * run-queue.ts), so one connection's pipeline cannot hold the event loop. Light requests (ping,
 * auth, server stats, a malformed request's error) that arrive while the connection has nothing
 * queued run at once as they are read, so they are answered even while the queue is long.
 */
export class Connection implements Schedulable {
  private readonly decoder: FrameDecoder;
  private authenticated: boolean;
  private inFlight = 0;
  private paused = false;
  /** A request read ahead (by onData, to see whether it is light) and not yet started. */
  private ready: unknown = undefined;
  private closing = false;
  private ending = false;
  private idle: (() => void)[] = [];
  private authTimer: NodeJS.Timeout | undefined;
  /** Reply frames encoded and not yet handed to the socket (see send). */
  private unsent: Buffer[] = [];
  /** @internal socket writes made (one per batch of replies), for tests */
  socketWrites = 0;

  constructor(private readonly socket: Socket, private readonly options: ConnectionOptions) {
    const limits = options.context.limits;
    this.authenticated = options.checkToken === undefined;
    this.decoder = new FrameDecoder(this.authenticated ? limits.maxFrameBytes : Math.min(limits.maxFrameBytes, limits.maxUnauthenticatedFrameBytes));
    if (!this.authenticated) {
      this.authTimer = setTimeout(() => {
        this.send({ id: null, error: { code: "UNAUTHORIZED", message: `not authenticated within ${limits.authTimeoutMs} ms; closing the connection` } });
        this.end();
      }, limits.authTimeoutMs);
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

  /** Memory held for this connection's unfinished frames, and the bytes it has sent (see FrameDecoder.heldBytes). */
  get buffers(): { bufferedBytes: number; bytesReceived: number; authenticated: boolean } {
    return { bufferedBytes: this.decoder.heldBytes, bytesReceived: this.socket.bytesRead, authenticated: this.authenticated };
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Whether requests already received wait for the run queue. */
  get hasQueuedRequests(): boolean {
    return this.ready !== undefined || this.options.runQueue.has(this);
  }

  /** Resolves when no request of this connection is running. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops reading now, and ends the connection once the requests in flight have replied. */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    this.closing = true;
    this.socket.pause();
    void this.whenIdle().then(() => {
      this.flushReplies(); // replies of this microtask round not yet written go first
      this.socket.end();
      // A peer that never reads must not hold the server open.
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  /**
   * Shutdown: waits for the requests in flight, and keeps reading (and refusing with UNAVAILABLE)
   * what the peer had already sent, until a pass through the event loop brings nothing new.
   */
  async drain(): Promise<void> {
    const deadline = Date.now() + SHUTDOWN_READ_GRACE_MS;
    for (;;) {
      await this.whenIdle();
      if (this.closing) return;
      const seen = this.socket.bytesRead;
      // Two hops of setImmediate put one poll phase (where sockets are read) in between.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (this.closing || Date.now() > deadline) return;
      if (this.inFlight === 0 && !this.hasQueuedRequests && this.socket.bytesRead === seen) return;
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.decoder.write(chunk);
    if (!this.hasQueuedRequests) this.runLight();
    this.updateReading();
  }

  /**
   * Runs the light requests at the front of what was read, up to INLINE_PER_READ; the first
   * request that is not light is kept in `ready` and the connection queued for its turn.
   */
  private runLight(): void {
    for (let i = 0; i < INLINE_PER_READ; i++) {
      if (this.closing || this.inFlight >= this.options.context.limits.maxInFlightPerConnection) break;
      const body = this.nextBody();
      if (body === undefined) return;
      if (!isLight(body)) {
        this.ready = body;
        break;
      }
      this.handle(body);
    }
    if (!this.closing && (this.ready !== undefined || this.decoder.pendingBytes > 0)) this.options.runQueue.enqueue(this, this.readyLane());
  }

  private readyLane(): Lane {
    return this.ready !== undefined && isWrite(this.ready) ? "write" : "read";
  }

  /**
   * The run queue's turn: starts this connection's next request, then reads the one behind it
   * (if it has arrived whole) to tell the queue which lane it belongs in.
   */
  step(): false | Lane {
    if (this.closing) return false;
    // At the in-flight limit the connection waits; a finishing request queues it again.
    if (this.inFlight >= this.options.context.limits.maxInFlightPerConnection) return false;
    let body = this.ready;
    this.ready = undefined;
    if (body === undefined) body = this.nextBody();
    if (body === undefined) {
      this.updateReading();
      return false;
    }
    this.handle(body);
    if (!this.closing && this.decoder.pendingBytes > 0) this.ready = this.nextBody();
    const more = !this.closing && (this.ready !== undefined || this.decoder.pendingBytes > 0);
    this.updateReading(more);
    return more ? this.readyLane() : false;
  }

  /** The next complete request body, or undefined (none yet, or the stream failed and the connection is closing). */
  private nextBody(): unknown {
    let payload: Buffer | undefined;
    try {
      payload = this.decoder.next();
    } catch (e) {
      if (!(e instanceof FrameTooLargeError)) {
        this.fail(null, "INTERNAL", `cannot read frames: ${(e as Error).message}; closing the connection`);
        return undefined;
      }
      const why = this.authenticated ? "" : " for a connection that has not authenticated (send auth first)";
      this.fail(null, "LIMIT_EXCEEDED", `${e.message}${why}; closing the connection`);
      return undefined;
    }
    if (payload === undefined) return undefined;
    try {
      return decodeBody(payload);
    } catch (e) {
      this.fail(null, "INVALID_ARGUMENT", `frame body is not one valid MessagePack value (${(e as Error).message}); closing the connection`);
      return undefined;
    }
  }

  /**
   * Reads while the connection is under its in-flight limit and has less than READ_AHEAD_BYTES
   * waiting for the run queue. (A partial frame is not waiting: it may need more bytes than that.)
   */
  private updateReading(queued = this.hasQueuedRequests): void {
    if (this.closing) return;
    const full = this.inFlight >= this.options.context.limits.maxInFlightPerConnection || (queued && this.decoder.pendingBytes >= READ_AHEAD_BYTES);
    if (full && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!full && this.paused) {
      this.paused = false;
      this.socket.resume();
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
    let id = body.id;
    // An integer beyond 2^53 arrives as a bigint, except 2^53 itself (and whole floats, which
    // the protocol reads as integers): a bigint keeps it an integer on the way back.
    if (typeof id === "number" && Number.isInteger(id) && !Number.isSafeInteger(id) && id >= -(2 ** 63) && id < 2 ** 64) id = BigInt(id);
    if (Object.is(id, -0)) id = 0; // a float -0.0 is the integer 0
    const validId = (typeof id === "number" && Number.isSafeInteger(id)) || typeof id === "bigint" || (typeof id === "string" && id.length <= 256);
    if (!validId) {
      this.send({ id: null, error: { code: "INVALID_ARGUMENT", message: "request id must be an integer (-2^63 .. 2^64-1) or a string of at most 256 characters" } });
      return;
    }
    if (body.op === "auth" && this.options.checkToken !== undefined && !this.options.isDraining()) {
      this.auth(id as RequestId, body.args);
      return;
    }
    this.inFlight++;
    const writes = isWrite(body) ? this.options.writes : undefined;
    writes?.begin();
    this.run(body.op, body.args).then(
      (result) => this.send({ id, result: result ?? null }),
      (e: unknown) => this.send({ id, error: errorToWire(e) }),
    ).finally(() => {
      writes?.end();
      this.inFlight--;
      this.options.onRequestDone();
      if (!this.closing && (this.ready !== undefined || this.decoder.pendingBytes > 0)) this.options.runQueue.enqueue(this, this.readyLane());
      this.updateReading();
      if (this.inFlight === 0) this.resolveIdle();
    });
  }

  private async run(op: unknown, args: unknown): Promise<unknown> {
    if (typeof op !== "string") throw new SparseDbError("INVALID_ARGUMENT", "request op must be a string");
    if (this.options.isDraining()) throw new SparseDbError("UNAVAILABLE", "the server is shutting down; retry against another server or later");
    if (args === undefined || args === null) args = {};
    if (!isMap(args)) throw new SparseDbError("INVALID_ARGUMENT", "request args must be a map");
    checkPlainData(args, "args");
    if (op === "auth") return { authenticated: true }; // a server without a token (see handle for the rest)
    if (!this.authenticated && op !== "ping") {
      throw new SparseDbError("UNAUTHORIZED", `op "${op}" needs authentication: send {op: "auth", args: {token}} first`);
    }
    if (!Object.prototype.hasOwnProperty.call(OPERATIONS, op)) {
      throw new SparseDbError("INVALID_ARGUMENT", `unknown op "${op.slice(0, 64)}"; known ops: auth, ${Object.keys(OPERATIONS).join(", ")}`);
    }
    return OPERATIONS[op]!(args, this.options.context);
  }

  /**
   * `auth` on a server with a token, decided before anything behind it is parsed. One attempt per
   * connection: a failure stops reading at once, waits (longer for each recent failure from the
   * peer's address), then replies UNAUTHORIZED and closes; nothing pipelined behind it runs.
   */
  private auth(id: RequestId, args: unknown): void {
    const done = (reply: unknown) => {
      this.send(reply);
      this.options.onRequestDone();
    };
    if (this.authenticated) {
      done({ id, error: { code: "INVALID_ARGUMENT", message: "this connection is already authenticated; auth is allowed once per connection" } });
      return;
    }
    const token = isMap(args) ? args.token : undefined;
    const address = this.socket.remoteAddress;
    if (typeof token === "string" && this.options.checkToken!(token)) {
      this.authenticated = true;
      this.decoder.maxFrameBytes = this.options.context.limits.maxFrameBytes;
      if (this.authTimer !== undefined) clearTimeout(this.authTimer);
      this.options.throttle.succeed(address);
      done({ id, result: { authenticated: true } });
      return;
    }
    this.closing = true; // nothing behind this frame is parsed: step and runLight stop here
    this.socket.pause();
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    const delay = this.options.throttle.fail(address);
    setTimeout(() => {
      done({ id, error: { code: "UNAUTHORIZED", message: typeof token === "string" ? "wrong token; closing the connection" : "auth needs args.token, a string; closing the connection" } });
      this.end();
    }, delay).unref();
  }

  private send(reply: unknown): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(reply);
    } catch (e) {
      // Ids were checked on the way in, so the id itself always encodes.
      const id = isMap(reply) ? reply.id : null;
      frame = encodeFrame({ id, error: { code: "INTERNAL", message: `cannot encode the reply: ${(e as Error).message}` } });
    }
    if (frame.length - 4 > this.options.context.limits.maxFrameBytes) {
      const id = isMap(reply) ? reply.id : null;
      frame = encodeFrame({ id, error: { code: "LIMIT_EXCEEDED", message: `the reply would be ${frame.length} bytes, over the frame limit; ask for less (smaller k, fewer ids)` } });
    }
    // Replies made in the same round of microtasks (pipelined requests finishing together, a
    // read's light requests) leave in one socket write: the first queues the flush, which runs
    // after those already queued. Order is kept: frames are written in the order made.
    if (this.unsent.push(frame) === 1) queueMicrotask(() => this.flushReplies());
  }

  /** Writes the replies encoded so far: one write, or one corked batch (a single writev). */
  private flushReplies(): void {
    const frames = this.unsent;
    if (frames.length === 0) return;
    this.unsent = [];
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socketWrites++;
    if (frames.length === 1) {
      this.socket.write(frames[0]!);
      return;
    }
    this.socket.cork();
    for (const f of frames) this.socket.write(f);
    this.socket.uncork();
  }

  private resolveIdle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const r of waiting) r();
  }
}

/** Requests that cost next to nothing and keep a connection responsive: run as soon as they are read. */
function isLight(body: unknown): boolean {
  if (!isMap(body)) return true; // answered with an error
  if (body.op === "ping" || body.op === "auth") return true;
  return body.op === "stats" && (!isMap(body.args) || body.args.collection === undefined || body.args.collection === null);
}

/** Requests that change data or wait for the disk: they go in the run queue's write lane. */
function isWrite(body: unknown): boolean {
  if (!isMap(body)) return false;
  return body.op === "upsert" || body.op === "delete" || body.op === "setMetadata" || body.op === "flush" || body.op === "sync";
}

export function errorToWire(e: unknown): { code: string; message: string } {
  if (e instanceof SparseDbError) return { code: e.code, message: e.message };
  const err = e as Error;
  // A RangeError from deep recursion or a bug elsewhere: the request fails, the server goes on.
  return { code: "INTERNAL", message: `internal error: ${err?.message ?? String(e)}` };
}
