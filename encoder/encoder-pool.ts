import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import { SparseDbError, type ErrorCode } from "../engine/errors.js";
import { repositoryRoot } from "./data-paths.js";
import { cancelledError } from "./lexical.js";
import { unpackResults, WORKER_ERROR_PREFIX, type EncodedText, type WorkerSetup, type WorkerTask } from "./worker-protocol.js";

export interface PoolOptions<R = EncodedText> {
  workers: number;
  setup: WorkerSetup;
  /** Most texts per worker task (the worker cuts it further by token budget). */
  maxBatch: number;
  /** Most texts waiting; further callers wait for room (backpressure). Default 4096. */
  maxQueue?: number;
  /** How long a lone request waits for others to share its batch. Default 2 ms. */
  maxWaitMs?: number;
  /** Turns a task's result buffer back into one result per text (default: sparse results). */
  unpack?: (bytes: Uint8Array) => R[];
}

interface Request<R> {
  results: R[];
  remaining: number;
  done: boolean;
  resolve(r: R[]): void;
  reject(e: Error): void;
}

interface Item<R> {
  request: Request<R>;
  index: number;
  text: string;
  restrict: boolean;
}

/**
 * A piscina pool of encoder workers with a batcher in front. Requests are split into texts on
 * one queue; texts are gathered into worker tasks of up to maxBatch within a short wait, and at
 * most two tasks per worker are in flight (one running, one ready). The queue is bounded: callers
 * wait for room. Aborting a request drops its queued texts and rejects it at once. A worker that
 * dies fails the requests of its task with an error; piscina starts a replacement. The same
 * pool runs SPLADE and dense workers: `R` is what one text gives (see worker-protocol.ts).
 */
export class EncoderPool<R = EncodedText> {
  private readonly piscina: Piscina<WorkerTask, Uint8Array>;
  private readonly queue: Item<R>[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private readonly maxQueue: number;
  private readonly maxWaitMs: number;
  private readonly maxInFlight: number;
  private readonly unpack: (bytes: Uint8Array) => R[];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: PoolOptions<R>) {
    this.unpack = options.unpack ?? (unpackResults as unknown as (bytes: Uint8Array) => R[]);
    this.maxQueue = options.maxQueue ?? 4096;
    this.maxWaitMs = options.maxWaitMs ?? 2;
    this.maxInFlight = 2 * options.workers;
    this.piscina = new Piscina({
      filename: workerFile(),
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
      workerData: options.setup,
    });
    // piscina reports worker errors through task rejections; keep the emitter from throwing.
    this.piscina.on("error", () => {});
  }

  /** The worker threads (for diagnostics, and for tests that kill one). */
  get threads(): Worker[] {
    return this.piscina.threads;
  }

  /** Encodes texts (restrict[i]: keep text i to its own tokens); resolves in input order. */
  async encode(texts: string[], restrict: boolean[], signal?: AbortSignal): Promise<R[]> {
    if (this.closed) throw new SparseDbError("CLOSED", "the encoder is closed; create a new one with createEncoder()");
    if (signal?.aborted) throw cancelledError();
    if (texts.length === 0) return [];
    let request!: Request<R>;
    const promise = new Promise<R[]>((resolve, reject) => {
      request = { results: new Array(texts.length), remaining: texts.length, done: false, resolve, reject };
    });
    const onAbort = () => this.fail(request, cancelledError());
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let next = 0;
      while (next < texts.length && !request.done) {
        if (this.queue.length >= this.maxQueue) {
          await new Promise<void>((r) => this.roomWaiters.push(r));
          continue;
        }
        const end = Math.min(texts.length, next + (this.maxQueue - this.queue.length));
        for (; next < end; next++) this.queue.push({ request, index: next, text: texts[next]!, restrict: restrict[next] ?? false });
        this.pump();
      }
      return await promise;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const closing = new SparseDbError("CLOSED", "the encoder was closed while this request waited");
    for (const item of this.queue.splice(0)) this.fail(item.request, closing);
    this.roomWaiters.splice(0).forEach((w) => w());
    await this.piscina.destroy();
  }

  private pump(): void {
    if (this.closed) return;
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const full = this.queue.length >= this.options.maxBatch;
      if (!full && this.inFlight > 0) {
        // Workers are busy: give more texts a moment to join this batch.
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.dispatch();
          this.pump();
        }, this.maxWaitMs);
        return;
      }
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.dispatch();
    }
  }

  /** Sends one task: an even share of the queue over the free slots, at most maxBatch texts. */
  private dispatch(): void {
    if (this.queue.length === 0 || this.inFlight >= this.maxInFlight || this.closed) return;
    const share = Math.ceil(this.queue.length / (this.maxInFlight - this.inFlight));
    const items = this.queue.splice(0, Math.min(this.options.maxBatch, share));
    this.roomWaiters.splice(0).forEach((w) => w());
    this.inFlight++;
    this.piscina
      .run({ texts: items.map((i) => i.text), restrict: items.map((i) => i.restrict) })
      .then(
        (bytes) => {
          const results = this.unpack(bytes);
          items.forEach((item, k) => this.deliver(item, results[k]!));
        },
        (err: Error) => {
          const e = workerError(err);
          for (const item of items) this.fail(item.request, e);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }

  private deliver(item: Item<R>, result: R): void {
    const r = item.request;
    if (r.done) return;
    r.results[item.index] = result;
    if (--r.remaining === 0) {
      r.done = true;
      r.resolve(r.results);
    }
  }

  private fail(r: Request<R>, err: Error): void {
    if (r.done) return;
    r.done = true;
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.request === r) this.queue.splice(i, 1);
    this.roomWaiters.splice(0).forEach((w) => w());
    r.reject(err);
  }
}

/** Turns what a failed task rejects with back into a SparseDbError. */
function workerError(err: Error): SparseDbError {
  const m = new RegExp(`^${WORKER_ERROR_PREFIX}([A-Z_]+):`).exec(err.message);
  if (m) return new SparseDbError(m[1] as ErrorCode, err.message.slice(m[0].length));
  if (/worker exited|terminated/i.test(err.message)) {
    return new SparseDbError("ENCODER_ERROR", `encoder worker died (${err.message}); the pool started a new one, so the request may be retried`, { cause: err });
  }
  return new SparseDbError("ENCODER_ERROR", `encoder worker failed: ${err.message}`, { cause: err });
}

/**
 * Workers run compiled JavaScript: the sibling file when this module is itself compiled, else
 * dist/encoder/encoder-worker.js under the repository root (tests run the TypeScript sources).
 */
export function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) {
    const sibling = join(dirname(here), "encoder-worker.js");
    if (existsSync(sibling)) return sibling;
  }
  const built = join(repositoryRoot(), "dist", "encoder", "encoder-worker.js");
  if (!existsSync(built)) {
    throw new SparseDbError("ENCODER_ERROR", `the encoder worker ${built} is missing; run \`npm run build\` first (worker threads load the compiled JavaScript in dist/)`);
  }
  return built;
}
