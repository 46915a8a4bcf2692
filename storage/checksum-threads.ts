import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { verifySharedRanges, type SharedJob } from "./checksum-lanes.js";
import { crc32c } from "./crc32c.js";

/** A byte range and the crc32c it must have (see segment-file.ts, ChecksumTask). */
export interface RangeCheck {
  offset: number;
  length: number;
  crc: number;
}

/** Below this many bytes, threads cost more to start than they save. */
const PARALLEL_MIN_BYTES = 48 * 1024 * 1024;
const MAX_THREADS = 8;

/**
 * The compiled worker beside this module; absent when running from TypeScript sources (tests
 * under vitest), where verification simply stays on this thread.
 */
const WORKER_URL = new URL("./checksum-worker.js", import.meta.url);
const workerAvailable = import.meta.url.endsWith(".js") && existsSync(fileURLToPath(WORKER_URL));

/**
 * Verifies the checks against `buf` and returns the first failing one, or null. When `buf` lives
 * in a SharedArrayBuffer and is large, worker threads (one per core, this thread included) share
 * the chunks, which is what keeps reopening a large collection fast: checksums are most of the
 * cost of opening a segment. When several chunks fail, which one is reported may vary.
 */
export async function verifyInParallel<T extends RangeCheck>(buf: Uint8Array, checks: T[]): Promise<T | null> {
  const total = checks.reduce((s, c) => s + c.length, 0);
  const lanes = Math.min(availableParallelism(), MAX_THREADS);
  if (!workerAvailable || lanes < 2 || total < PARALLEL_MIN_BYTES || !(buf.buffer instanceof SharedArrayBuffer)) {
    return verifyHere(buf, checks);
  }
  // Every thread, this one included, takes chunks from a shared counter until none are left.
  const control = new SharedArrayBuffer(8);
  const job: SharedJob = {
    buffer: buf.buffer,
    byteOffset: buf.byteOffset,
    byteLength: buf.byteLength,
    ranges: checks.map(({ offset, length, crc }) => ({ offset, length, crc })),
    control,
  };
  const workers = Array.from(
    { length: lanes - 1 },
    () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(WORKER_URL, { workerData: job });
        w.once("message", () => {
          resolve();
          void w.terminate();
        });
        w.once("error", reject);
      }),
  );
  verifySharedRanges(job);
  await Promise.all(workers);
  const bad = new Int32Array(control)[1]!;
  return bad === 0 ? null : checks[bad - 1]!;
}

function verifyHere<T extends RangeCheck>(buf: Uint8Array, checks: T[]): T | null {
  for (const c of checks) if (crc32c(buf.subarray(c.offset, c.offset + c.length)) !== c.crc) return c;
  return null;
}
