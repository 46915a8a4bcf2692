import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { SparseDbError } from "../errors.js";
import { chunkParser, type ChunkFormat, type ChunkParser } from "./chunk-parsers.js";
import type { ParsedChunk } from "./parsed-chunk.js";

/** The compiled worker; absent when running from TypeScript sources (tests), where chunks parse inline. */
const WORKER_URL = new URL("./chunk-parse-worker.js", import.meta.url);
const workerAvailable = import.meta.url.endsWith(".js") && existsSync(fileURLToPath(WORKER_URL));

/** Chunks in flight per thread: one parsing, one waiting, so a thread never idles between messages. */
const IN_FLIGHT_PER_THREAD = 2;

/**
 * Parses an input file's byte chunks (Anserini TSV or JSON lines, chunk-parsers.ts) on `threads` worker threads and hands the results back in
 * file order. Each chunk's buffer is transferred to its worker (the caller must not touch it
 * afterwards) and the parsed arrays come back the same way; at most two chunks per thread are
 * in flight, so memory stays bounded however fast the file reads. With 0 threads, or without a
 * compiled worker (tests run from sources), chunks parse on this thread.
 */
export class ChunkParsePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (p: ParsedChunk) => void; reject: (e: unknown) => void }>();
  private nextJob = 0;
  private inline: ChunkParser | null = null;

  constructor(private readonly format: ChunkFormat, threads: number) {
    if (!workerAvailable || threads === 0) {
      this.inline = chunkParser(format);
      return;
    }
    for (let t = 0; t < threads; t++) this.workers.push(this.startWorker());
  }

  get threads(): number {
    return this.workers.length;
  }

  /** The parsed chunks, in order. */
  async *parse(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ParsedChunk> {
    const queue: Promise<ParsedChunk>[] = [];
    const depth = Math.max(1, this.workers.length * IN_FLIGHT_PER_THREAD);
    for await (const bytes of chunks) {
      const p = this.submit(bytes);
      p.catch(() => undefined); // awaited in order below
      queue.push(p);
      if (queue.length >= depth) yield await queue.shift()!;
    }
    while (queue.length > 0) yield await queue.shift()!;
  }

  private async submit(bytes: Uint8Array): Promise<ParsedChunk> {
    if (this.inline !== null) {
      await new Promise((r) => setImmediate(r)); // let I/O and timers run between chunks
      return this.inline.parse(bytes);
    }
    const job = this.nextJob++;
    const w = this.workers[job % this.workers.length]!;
    const done = new Promise<ParsedChunk>((resolve, reject) => this.pending.set(job, { resolve, reject }));
    w.postMessage({ job, bytes }, [bytes.buffer as ArrayBuffer]);
    return done;
  }

  private startWorker(): Worker {
    const w = new Worker(WORKER_URL, { workerData: this.format });
    w.on("message", (m: { job: number; parsed?: ParsedChunk; error?: string }) => {
      const p = this.pending.get(m.job);
      if (!p) return;
      this.pending.delete(m.job);
      if (m.parsed) p.resolve(m.parsed);
      else p.reject(new SparseDbError("INTERNAL", `parsing a chunk of the input failed: ${m.error}`));
    });
    w.on("error", (e) => this.failAll(e));
    w.on("exit", () => this.failAll(new SparseDbError("INTERNAL", "an input parse worker exited")));
    return w;
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
