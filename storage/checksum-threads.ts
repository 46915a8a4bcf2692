import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
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
 * in a SharedArrayBuffer and is large, the work is split by bytes across worker threads (one per
 * core, this thread included), which is what keeps reopening a large collection fast: checksums
 * are most of the cost of opening a segment.
 */
export async function verifyInParallel<T extends RangeCheck>(buf: Uint8Array, checks: T[]): Promise<T | null> {
  const total = checks.reduce((s, c) => s + c.length, 0);
  const lanes = Math.min(availableParallelism(), MAX_THREADS);
  if (!workerAvailable || lanes < 2 || total < PARALLEL_MIN_BYTES || !(buf.buffer instanceof SharedArrayBuffer)) {
    return verifyHere(buf, checks);
  }
  // Contiguous groups of about total/lanes bytes each; group 0 stays on this thread.
  const groups: T[][] = [[]];
  let filled = 0;
  for (const c of checks) {
    if (filled >= total / lanes && groups.length < lanes) {
      groups.push([]);
      filled = 0;
    }
    groups[groups.length - 1]!.push(c);
    filled += c.length;
  }
  const remote = groups.slice(1).map(
    (ranges) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(WORKER_URL, {
          workerData: { buffer: buf.buffer, byteOffset: buf.byteOffset, byteLength: buf.byteLength, ranges: ranges.map(({ offset, length, crc }) => ({ offset, length, crc })) },
        });
        w.once("message", (bad: number) => {
          resolve(bad);
          void w.terminate();
        });
        w.once("error", reject);
      }),
  );
  const here = verifyHere(buf, groups[0]!);
  const results = await Promise.all(remote);
  if (here) return here;
  for (let g = 0; g < results.length; g++) if (results[g]! >= 0) return groups[g + 1]![results[g]!]!;
  return null;
}

function verifyHere<T extends RangeCheck>(buf: Uint8Array, checks: T[]): T | null {
  for (const c of checks) if (crc32c(buf.subarray(c.offset, c.offset + c.length)) !== c.crc) return c;
  return null;
}
