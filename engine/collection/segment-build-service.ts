import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Sections } from "../../storage/segment-file.js";
import { SparseDbError } from "../errors.js";
import { buildSections } from "./build-sections.js";
import type { SegmentInput } from "./segment-input.js";
import type { DenseMetric } from "../dense/dense-metric.js";

export interface BuiltSegment {
  sections: Sections;
  /** The file's section checksums, when the worker computed them. */
  checksums?: Record<string, number[]>;
}

/** The compiled worker; absent when running from TypeScript sources (tests), where builds run inline. */
const WORKER_URL = new URL("./segment-build-worker.js", import.meta.url);
const workerAvailable = import.meta.url.endsWith(".js") && existsSync(fileURLToPath(WORKER_URL));

/**
 * Builds segments on background worker threads, so a flush or merge of a large segment uses
 * another core instead of blocking the event loop. Up to `maxWorkers` (2 on a machine with two
 * cores or more) build at once: a bulk load builds its next segment while the previous one
 * builds (both cores), and a flush need not wait behind a merge's build. A job goes to the
 * worker with the fewest jobs; workers start when first needed. Input buffers are transferred
 * to the worker (the caller must not touch them afterwards) and the built sections, with their
 * checksums computed there, come back the same way. Without a compiled worker, builds run on
 * this thread.
 */
export class SegmentBuildService {
  private readonly workers: { worker: Worker; jobs: Set<number> }[] = [];
  private nextJob = 0;
  private readonly pending = new Map<number, { resolve: (s: BuiltSegment) => void; reject: (e: unknown) => void }>();

  /** `hnsw`: the metric of the collection's HNSW dense index, which every segment with enough dense vectors gets; null: none ("flat"). */
  constructor(
    private readonly useWorker = workerAvailable,
    private readonly hnsw: DenseMetric | null = null,
    private readonly maxWorkers = Math.min(2, availableParallelism()),
  ) {}

  async build(input: SegmentInput, segmentId: number): Promise<BuiltSegment> {
    if (!this.useWorker) {
      await new Promise((r) => setImmediate(r));
      return { sections: await buildSections(input, segmentId, this.hnsw) };
    }
    const w = this.pickWorker();
    const job = this.nextJob++;
    const transfer = [...new Set([input.docStart.buffer, input.terms.buffer, input.weights.buffer, input.metaBlob.buffer, input.metaEnds.buffer, ...(input.textBlob && input.textEnds ? [input.textBlob.buffer, input.textEnds.buffer] : []), ...(input.denseDocs && input.denseVectors ? [input.denseDocs.buffer, input.denseVectors.buffer] : [])])] as ArrayBuffer[];
    const done = new Promise<BuiltSegment>((resolve, reject) => this.pending.set(job, { resolve, reject }));
    if (w.jobs.size === 0) w.worker.ref(); // keep the process alive while a build is pending
    w.jobs.add(job);
    w.worker.postMessage({ job, input, segmentId, hnsw: this.hnsw }, transfer);
    return done;
  }

  /** The least busy worker; a new one while every worker is busy and there is room. */
  private pickWorker(): { worker: Worker; jobs: Set<number> } {
    let best = this.workers[0];
    for (const w of this.workers) if (w.jobs.size < best!.jobs.size) best = w;
    if (best !== undefined && (best.jobs.size === 0 || this.workers.length >= this.maxWorkers)) return best;
    return this.startWorker();
  }

  private startWorker(): { worker: Worker; jobs: Set<number> } {
    const entry = { worker: new Worker(WORKER_URL), jobs: new Set<number>() };
    const w = entry.worker;
    w.on("message", (m: { job: number; sections?: Sections; checksums?: Record<string, number[]>; error?: string }) => {
      const p = this.pending.get(m.job);
      entry.jobs.delete(m.job);
      if (entry.jobs.size === 0) w.unref(); // an idle builder must not keep the process alive
      if (!p) return;
      this.pending.delete(m.job);
      if (m.sections) p.resolve({ sections: m.sections, checksums: m.checksums });
      else p.reject(new SparseDbError("INTERNAL", `segment build failed: ${m.error}`));
    });
    w.on("error", (e) => this.fail(entry, e));
    w.on("exit", () => {
      const i = this.workers.indexOf(entry);
      if (i >= 0) this.workers.splice(i, 1);
      this.fail(entry, new SparseDbError("INTERNAL", "the segment build worker exited"));
    });
    w.unref();
    this.workers.push(entry);
    return entry;
  }

  /** Rejects the jobs of one worker. */
  private fail(entry: { jobs: Set<number> }, e: unknown): void {
    for (const job of entry.jobs) {
      this.pending.get(job)?.reject(e);
      this.pending.delete(job);
    }
    entry.jobs.clear();
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}
