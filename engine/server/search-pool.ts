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
  dead = false;

  constructor(path: string, module: WebAssembly.Module, readonly scratchIndex: number, onMessage: (m: WorkerReply) => void, onDeath: (t: SearchThread, e: unknown) => void) {
    this.worker = new Worker(path, { workerData: { module } });
    this.worker.on("message", onMessage);
    this.worker.on("error", (e) => onDeath(this, e));
    this.worker.on("exit", () => onDeath(this, new SparseDbError("INTERNAL", "a search worker thread exited")));
    this.worker.unref();
  }
}

interface WorkerReply {
  job: number;
  docs?: Int32Array;
  scores?: Float64Array;
  error?: string;
}

/** A segment's deletion bitset copied into shared memory, and the deletion version it holds. */
interface SharedDeletions {
  version: number;
  bits: Uint8Array;
}

export class SearchPool implements SegmentSearchPool {
  private readonly threads: SearchThread[];
  private readonly jobs = new Map<number, Job & { thread: SearchThread }>();
  private nextJob = 0;
  private nextSegment = 1;
  private readonly segmentIds = new WeakMap<SegmentIndex, number>();
  private readonly deletions = new WeakMap<LiveSegment, SharedDeletions>();
  private readonly forget = new FinalizationRegistry<number>((id) => {
    for (const t of this.threads) if (t.segments.delete(id) && !t.dead) t.worker.postMessage({ t: "forget", id });
  });
  private closed = false;
  /** @internal counters for stats and tests */
  searchesInWorkers = 0;

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

  search(seg: LiveSegment, query: SparseVector, o: { k: number; exact: boolean; minScore?: number }): Promise<DocHit[]> | undefined {
    if (this.closed || o.k > KERNEL_MAX_K) return undefined;
    const index = seg.index;
    const share = rangeKernelShare(index);
    if (share === undefined) return undefined;
    const rq = makeRangeQuery(index, query, { k: o.k, exact: o.exact, excluded: seg.deletedCount, minScore: o.minScore });
    if (rq.terms.length === 0) return Promise.resolve([]);
    // Negative weights may need the kernel's full scan; very long queries run on the reference.
    if (rq.hasNonPositive || rq.terms.length >= 65535) return undefined;
    const thread = this.leastBusy();
    let id = this.segmentIds.get(index);
    if (id === undefined) {
      id = this.nextSegment++;
      this.segmentIds.set(index, id);
      this.forget.register(index, id);
    }
    if (!thread.segments.has(id)) {
      thread.segments.add(id);
      thread.worker.postMessage({
        t: "segment", id, memory: share.memory, segment: share.segment, scratch: share.scratch[thread.scratchIndex],
        rareBase: share.rareBase, numTerms: share.numTerms, maxK: KERNEL_MAX_K,
      });
    }
    const job = this.nextJob++;
    const deleted = seg.deletedCount > 0 ? this.sharedDeletions(seg) : undefined;
    const done = new Promise<DocHit[]>((resolve, reject) => this.jobs.set(job, { resolve, reject, quantized: rq.quantized, scoreUnit: rq.scoreUnit, thread }));
    if (thread.pending++ === 0) thread.worker.ref(); // keep the process alive while a search runs
    // Typed arrays clone several times faster than arrays of numbers.
    const { collectUnits, thrScale, slackUnits, quantized, quantStep, maxImpact } = rq;
    const terms = Uint32Array.from(rq.terms), scoreWeights = Float64Array.from(rq.scoreWeights), dense = Uint32Array.from(rq.dense), nibble = Uint32Array.from(rq.nibble), rare = Uint32Array.from(rq.rare);
    thread.worker.postMessage(
      { t: "search", job, id, k: o.k, deleted, rq: { terms, scoreWeights, dense, nibble, rare, collectUnits, thrScale, slackUnits, quantized, quantStep, maxImpact } },
      [terms.buffer, scoreWeights.buffer, dense.buffer, nibble.buffer, rare.buffer],
    );
    this.searchesInWorkers++;
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

  private leastBusy(): SearchThread {
    let best = this.threads[0]!;
    for (const t of this.threads) if (t.pending < best.pending) best = t;
    return best;
  }

  private onReply(m: WorkerReply): void {
    const job = this.jobs.get(m.job);
    if (job === undefined) return;
    this.jobs.delete(m.job);
    if (--job.thread.pending === 0) job.thread.worker.unref();
    if (m.error !== undefined || m.docs === undefined || m.scores === undefined) {
      job.reject(new SparseDbError("INTERNAL", `a search worker failed: ${m.error ?? "no result"}`));
      return;
    }
    // As rangeSearch finishes a kernel result: sorted, and quantized scores in float units.
    const hits: DocHit[] = new Array(m.docs.length);
    for (let i = 0; i < hits.length; i++) hits[i] = { doc: m.docs[i]!, score: job.quantized ? m.scores[i]! * job.scoreUnit : m.scores[i]! };
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
