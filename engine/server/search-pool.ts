import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { LiveSegment } from "../collection/live-segment.js";
import { installSegmentSearchPool, type SegmentSearchPool } from "../collection/parallel-search.js";
import { SparseDbError } from "../errors.js";
import type { SegmentIndex } from "../index/segment-index.js";
import { makeRangeQuery } from "../search/range-query.js";
import { KERNEL_MAX_K, rangeKernelShare, rangeKernelWorkers, shareRangeKernels } from "../search/range-search.js";
import { compareHits, type DocHit } from "../search/top-k.js";
import { decodeReply, encodeSearch } from "./search-message.js";
import type { SparseVector } from "../sparse-vector.js";

/**
 * Worker threads that run segment searches off the event loop, one per core by default, so the
 * server searches on every core and its main thread stays free for connections, writes and
 * flushes. Each segment's range-search kernel memory (forward index + range layout) is a shared
 * WebAssembly.Memory (range-search.ts, shareRangeKernels) that every worker instantiates the
 * same kernel on, with a scratch area of its own: the data is held once. The main thread keeps
 * ids and metadata, makes each query's RangeQuery, and copies a segment's deletion bitset into
 * shared memory when it changed; a worker only runs the kernel (search-worker.ts).
 *
 * What does not go to a worker runs in-process as before (parallel-search.ts): searches with a
 * metadata filter or another algorithm, queries with negative weights (they may need the full
 * scan), k above the kernel's heap, and segments whose kernel was made before sharing began.
 *
 * One pool per process (kernels are made for its worker count): SparseServer acquires it and
 * releases it on close; the last release stops the workers.
 */

/** The compiled worker: next to this file in dist/, or dist/'s copy when running from TypeScript sources (tests). */
function workerPath(): string | undefined {
  const here = fileURLToPath(new URL("./search-worker.js", import.meta.url));
  const candidates = [here, here.replace(/([\\/])engine([\\/])server([\\/])search-worker\.js$/, "$1dist$1engine$2server$3search-worker.js")];
  return candidates.find((p) => existsSync(p));
}

interface Job {
  resolve(hits: DocHit[]): void;
  reject(e: unknown): void;
  quantized: boolean;
  scoreUnit: number;
}

class SearchThread {
  readonly worker: Worker;
  pending = 0;
  readonly segments = new Set<number>();
  /** Per segment, the deletion bitset last sent to this thread (what its next search applies). */
  readonly deletions = new Map<number, Uint8Array>();
  dead = false;

  constructor(path: string, module: WebAssembly.Module, readonly scratchIndex: number, onMessage: (m: WorkerReply) => void, onDeath: (t: SearchThread, e: unknown) => void) {
    this.worker = new Worker(path, { workerData: { module } });
    this.worker.on("message", onMessage);
    this.worker.on("error", (e) => onDeath(this, e));
    this.worker.on("exit", () => onDeath(this, new SparseDbError("INTERNAL", "a search worker thread exited")));
    this.worker.unref();
  }
}

/** A search made ready on the main thread (its RangeQuery and deletions taken), waiting for a thread. */
interface Dispatch {
  job: number;
  segmentId: number;
  share: NonNullable<ReturnType<typeof rangeKernelShare>>;
  /** The segment's deletions as of the search's start, or undefined when it had none. */
  deleted: Uint8Array | undefined;
  /** The search, packed (search-message.ts). */
  message: ArrayBuffer;
}

/**
 * Searches one thread holds at once: two, so that a thread has the next query while the main
 * thread handles the reply to the one before (a round trip is ~30-40 us against a search's
 * ~100-300 us), and no more, so that searches wait in the pool's queue, where the priority rule
 * can hold them, rather than in a thread's message port.
 */
const DEPTH_PER_THREAD = 2;

/** A worker's message: a reply (search-message.ts) or a failed search. */
type WorkerReply = ArrayBuffer | { job: number; error: string };

/** A segment's deletion bitset copied into shared memory, and the deletion version it holds. */
interface SharedDeletions {
  version: number;
  bits: Uint8Array;
}

export class SearchPool implements SegmentSearchPool {
  private readonly threads: SearchThread[];
  /** Searches not yet answered; `thread` is undefined while one waits in the queue. */
  private readonly jobs = new Map<number, Job & { thread: SearchThread | undefined }>();
  private nextJob = 0;
  private nextSegment = 1;
  private readonly segmentIds = new WeakMap<SegmentIndex, number>();
  private readonly deletions = new WeakMap<LiveSegment, SharedDeletions>();
  private readonly forget = new FinalizationRegistry<number>((id) => {
    for (const t of this.threads) {
      t.deletions.delete(id);
      if (t.segments.delete(id) && !t.dead) t.worker.postMessage({ t: "forget", id });
    }
  });
  private closed = false;
  /** Searches ready and waiting for a thread, oldest first (an array and a head index). */
  private waiting: Dispatch[] = [];
  private waitingHead = 0;
  /** The priority rule (write-activity.ts): while one of these says true, searches use one thread fewer. */
  private readonly mainThreadBusy = new Set<() => boolean>();
  /** @internal counters for stats and tests */
  searchesInWorkers = 0;
  /** @internal searches that found every thread they could use busy and waited in the queue */
  searchesQueued = 0;
  /** @internal dispatches made while the priority rule held one thread back */
  dispatchesHeldBack = 0;

  private constructor(private readonly path: string, private readonly module: WebAssembly.Module, size: number) {
    this.threads = Array.from({ length: size }, (_, i) => this.spawn(i));
  }

  /** A pool of `size` threads, or undefined when the worker or the shared kernel is not built. */
  static create(size: number): SearchPool | undefined {
    const path = workerPath();
    if (path === undefined) return undefined;
    const module = shareRangeKernels(size);
    if (module === null) return undefined;
    // Kernels are made with the first pool's worker count of scratch areas.
    return new SearchPool(path, module, Math.min(size, rangeKernelWorkers()));
  }

  get size(): number {
    return this.threads.length;
  }

  /**
   * The priority rule: while `busy()` is true (the server is writing, write-activity.ts) at most
   * size - 1 threads take new searches, leaving a core to the main thread; searches wait in the
   * pool's queue meanwhile. A pool of one thread always uses it. Each server of the process
   * (they share the pool) adds its own; the returned function removes it.
   */
  addPriorityRule(busy: () => boolean): () => void {
    this.mainThreadBusy.add(busy);
    return () => void this.mainThreadBusy.delete(busy);
  }

  private yieldToMainThread(): boolean {
    for (const busy of this.mainThreadBusy) if (busy()) return true;
    return false;
  }

  /** Searches waiting for a thread now. */
  get queuedSearches(): number {
    return this.waiting.length - this.waitingHead;
  }

  search(seg: LiveSegment, query: SparseVector, o: { k: number; exact: boolean; minScore?: number }): Promise<DocHit[]> | undefined {
    if (this.closed || o.k > KERNEL_MAX_K) return undefined;
    const index = seg.index;
    const share = rangeKernelShare(index);
    if (share === undefined) return undefined;
    const rq = makeRangeQuery(index, query, { k: o.k, exact: o.exact, excluded: seg.deletedCount, minScore: o.minScore });
    if (rq.terms.length === 0) return Promise.resolve([]);
    // Negative weights may need the kernel's full scan; very long queries run on the reference.
    if (rq.hasNonPositive || rq.terms.length >= 65535) return undefined;
    let id = this.segmentIds.get(index);
    if (id === undefined) {
      id = this.nextSegment++;
      this.segmentIds.set(index, id);
      this.forget.register(index, id);
    }
    const job = this.nextJob++;
    // The deletions are read now, whenever the search reaches a thread (see SegmentSearchPool).
    const deleted = seg.deletedCount > 0 ? this.sharedDeletions(seg) : undefined;
    const done = new Promise<DocHit[]>((resolve, reject) => this.jobs.set(job, { resolve, reject, quantized: rq.quantized, scoreUnit: rq.scoreUnit, thread: undefined }));
    const message = encodeSearch({ job, segment: id, k: o.k, deletions: deleted !== undefined, rq });
    this.waiting.push({ job, segmentId: id, share, deleted, message });
    if (!this.pump()) this.searchesQueued++;
    return done;
  }

  /** Stops the threads; searches still running fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(scratchIndex: number): SearchThread {
    return new SearchThread(this.path, this.module, scratchIndex, (m) => this.onReply(m), (t, e) => this.onDeath(t, e));
  }

  /**
   * Sends waiting searches, oldest first, to the least busy thread the priority rule lets them
   * use, while one has room (DEPTH_PER_THREAD). Returns whether the queue is empty.
   */
  private pump(): boolean {
    if (this.closed) return true;
    while (this.waitingHead < this.waiting.length) {
      const holdBack = this.threads.length > 1 && this.yieldToMainThread();
      const usable = holdBack ? this.threads.length - 1 : this.threads.length;
      let thread: SearchThread | undefined;
      for (let i = 0; i < usable; i++) {
        const t = this.threads[i]!;
        if (t.pending < DEPTH_PER_THREAD && (thread === undefined || t.pending < thread.pending)) thread = t;
      }
      if (thread === undefined) return false;
      const d = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as unknown as Dispatch;
      if (this.waitingHead === this.waiting.length) {
        this.waiting = [];
        this.waitingHead = 0;
      } else if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.waitingHead);
        this.waitingHead = 0;
      }
      if (holdBack) this.dispatchesHeldBack++;
      this.send(thread, d);
    }
    return true;
  }

  private send(thread: SearchThread, d: Dispatch): void {
    const job = this.jobs.get(d.job);
    if (job === undefined) return; // failed meanwhile (its thread died, or the pool closed)
    job.thread = thread;
    if (!thread.segments.has(d.segmentId)) {
      thread.segments.add(d.segmentId);
      thread.worker.postMessage({
        t: "segment", id: d.segmentId, memory: d.share.memory, segment: d.share.segment, scratch: d.share.scratch[thread.scratchIndex],
        rareBase: d.share.rareBase, numTerms: d.share.numTerms, maxK: KERNEL_MAX_K,
      });
    }
    // Waiting searches are sent in the order they were made, so a thread's deletions only move forward.
    if (d.deleted !== undefined && thread.deletions.get(d.segmentId) !== d.deleted) {
      thread.deletions.set(d.segmentId, d.deleted);
      thread.worker.postMessage({ t: "deletions", id: d.segmentId, bits: d.deleted });
    }
    if (thread.pending++ === 0) thread.worker.ref(); // keep the process alive while a search runs
    thread.worker.postMessage(d.message, [d.message]);
    this.searchesInWorkers++;
  }

  private onReply(m: WorkerReply): void {
    const reply = m instanceof ArrayBuffer ? decodeReply(m) : undefined;
    const jobId = reply?.job ?? (m as { job: number }).job;
    const job = this.jobs.get(jobId);
    if (job === undefined) return;
    this.jobs.delete(jobId);
    if (job.thread !== undefined && --job.thread.pending === 0) job.thread.worker.unref();
    if (reply === undefined) {
      job.reject(new SparseDbError("INTERNAL", `a search worker failed: ${(m as { error?: string }).error ?? "no result"}`));
      this.pump();
      return;
    }
    // As rangeSearch finishes a kernel result: sorted, and quantized scores in float units.
    this.pump();
    const { docs, scores } = reply;
    const hits: DocHit[] = new Array(docs.length);
    for (let i = 0; i < hits.length; i++) hits[i] = { doc: docs[i]!, score: job.quantized ? scores[i]! * job.scoreUnit : scores[i]! };
    hits.sort(compareHits);
    job.resolve(hits);
  }

  /** A thread that died fails its searches; a fresh one takes its place (it is sent segments again as needed). */
  private onDeath(t: SearchThread, e: unknown): void {
    if (t.dead) return;
    t.dead = true;
    for (const [id, job] of this.jobs) {
      if (job.thread !== t) continue;
      this.jobs.delete(id);
      job.reject(this.closed ? new SparseDbError("UNAVAILABLE", "the server is shutting down") : new SparseDbError("INTERNAL", `a search worker thread failed: ${(e as Error)?.message ?? String(e)}`));
    }
    if (this.closed) return;
    const i = this.threads.indexOf(t);
    if (i >= 0) this.threads[i] = this.spawn(t.scratchIndex);
    this.pump();
  }

  /**
   * The segment's deletions in shared memory, copied again only after they changed (a search
   * in flight keeps the copy it was sent, so later deletions never reach it half-applied).
   */
  private sharedDeletions(seg: LiveSegment): Uint8Array {
    const cached = this.deletions.get(seg);
    if (cached !== undefined && cached.version === seg.deleteVersion) return cached.bits;
    const bits = new Uint8Array(new SharedArrayBuffer(seg.deleted.length));
    bits.set(seg.deleted);
    this.deletions.set(seg, { version: seg.deleteVersion, bits });
    return bits;
  }
}

let shared: { pool: SearchPool; users: number } | undefined;

/** The process's pool (made on first use with `size` threads, default one per core), or undefined when it cannot run here. */
export function acquireSearchPool(size = availableParallelism()): SearchPool | undefined {
  if (shared === undefined) {
    const pool = SearchPool.create(size);
    if (pool === undefined) return undefined;
    shared = { pool, users: 0 };
    installSegmentSearchPool(pool);
  }
  shared.users++;
  return shared.pool;
}

export async function releaseSearchPool(pool: SearchPool): Promise<void> {
  if (shared === undefined || shared.pool !== pool) return;
  if (--shared.users > 0) return;
  shared = undefined;
  installSegmentSearchPool(undefined);
  await pool.close();
}
