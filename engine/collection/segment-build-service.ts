import { existsSync } from "node:fs";
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
 * Builds segments on one background worker thread (jobs queue in order), so a flush or merge of
 * a large segment uses a second core instead of blocking the event loop. Input buffers are
 * transferred to the worker (the caller must not touch them afterwards) and the built sections
 * come back the same way. Without a compiled worker, builds run on this thread.
 */
export class SegmentBuildService {
  private worker: Worker | null = null;
  private nextJob = 0;
  private readonly pending = new Map<number, { resolve: (s: BuiltSegment) => void; reject: (e: unknown) => void }>();

  /** `hnsw`: the metric of the collection's HNSW dense index, which every segment with enough dense vectors gets; null: none ("flat"). */
  constructor(private readonly useWorker = workerAvailable, private readonly hnsw: DenseMetric | null = null) {}

  async build(input: SegmentInput, segmentId: number): Promise<BuiltSegment> {
    if (!this.useWorker) {
      await new Promise((r) => setImmediate(r));
      return { sections: await buildSections(input, segmentId, this.hnsw) };
    }
    const w = this.ensureWorker();
    const job = this.nextJob++;
    const transfer = [...new Set([input.docStart.buffer, input.terms.buffer, input.weights.buffer, input.metaBlob.buffer, input.metaEnds.buffer, ...(input.textBlob && input.textEnds ? [input.textBlob.buffer, input.textEnds.buffer] : []), ...(input.denseDocs && input.denseVectors ? [input.denseDocs.buffer, input.denseVectors.buffer] : [])])] as ArrayBuffer[];
    const done = new Promise<BuiltSegment>((resolve, reject) => this.pending.set(job, { resolve, reject }));
    if (this.pending.size === 1) w.ref(); // keep the process alive while a build is pending
    w.postMessage({ job, input, segmentId, hnsw: this.hnsw }, transfer);
    return done;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_URL);
    w.on("message", (m: { job: number; sections?: Sections; checksums?: Record<string, number[]>; error?: string }) => {
      const p = this.pending.get(m.job);
      if (!p) return;
      this.pending.delete(m.job);
      if (this.pending.size === 0) w.unref(); // an idle builder must not keep the process alive
      if (m.sections) p.resolve({ sections: m.sections, checksums: m.checksums });
      else p.reject(new SparseDbError("INTERNAL", `segment build failed: ${m.error}`));
    });
    w.on("error", (e) => this.failAll(e));
    w.on("exit", () => {
      this.worker = null;
      this.failAll(new SparseDbError("INTERNAL", "the segment build worker exited"));
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
