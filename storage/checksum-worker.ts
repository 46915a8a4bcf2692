/**
 * Worker thread body for checksum-threads.ts: verifies a list of byte ranges of a shared buffer
 * and posts back the index of the first range whose crc32c does not match, or -1.
 */
import { parentPort, workerData } from "node:worker_threads";
import { crc32c } from "./crc32c.js";

interface Job {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
  ranges: { offset: number; length: number; crc: number }[];
}

const job = workerData as Job;
const bytes = new Uint8Array(job.buffer, job.byteOffset, job.byteLength);
let bad = -1;
for (let i = 0; i < job.ranges.length; i++) {
  const r = job.ranges[i]!;
  if (crc32c(bytes.subarray(r.offset, r.offset + r.length)) !== r.crc) {
    bad = i;
    break;
  }
}
parentPort!.postMessage(bad);
