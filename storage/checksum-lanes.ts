import { crc32c } from "./crc32c.js";

/**
 * A verification job shared by several threads: the bytes, the ranges, and a shared Int32Array
 * [next range to take, first failing range + 1 (0 = none so far)].
 */
export interface SharedJob {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
  ranges: { offset: number; length: number; crc: number }[];
  control: SharedArrayBuffer;
}

export function verifySharedRanges(job: SharedJob): void {
  const bytes = new Uint8Array(job.buffer, job.byteOffset, job.byteLength);
  const control = new Int32Array(job.control);
  for (;;) {
    const i = Atomics.add(control, 0, 1);
    if (i >= job.ranges.length || Atomics.load(control, 1) !== 0) return;
    const r = job.ranges[i]!;
    if (crc32c(bytes.subarray(r.offset, r.offset + r.length)) !== r.crc) {
      Atomics.compareExchange(control, 1, 0, i + 1);
      return;
    }
  }
}
