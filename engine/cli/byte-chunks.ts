import { open } from "node:fs/promises";
import { SparseDbError } from "../errors.js";
import { isGzipFile, openTextStream } from "../input/line-reader.js";

/** 4 MiB: large sequential reads, few messages to the parse workers, little memory per chunk. */
export const DEFAULT_CHUNK_BYTES = 4 << 20;

const NEWLINE = 0x0a;

/** Fills `into` from `at` with the next bytes; 0 at the end. */
type ReadInto = (into: Uint8Array, at: number) => Promise<number>;

/**
 * Reads a file (plain or gzip, told by its magic bytes) in chunks of about `chunkBytes` that end
 * at a newline (the file's last one may not), each a view of a buffer of its own that the caller
 * may transfer to a worker. A line longer than a chunk doubles the next buffer until it fits. A
 * UTF-8 byte order mark at the start is dropped, as engine/input's line reader drops it, so line
 * numbers and contents agree with the line path. `onFileBytes` counts the file's bytes read
 * (compressed bytes for gzip), for progress.
 */
export async function* byteChunks(path: string, o: { chunkBytes?: number; onFileBytes?: (n: number) => void } = {}): AsyncGenerator<Uint8Array> {
  const size = o.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const source = (await isGzipFile(path)) ? await gunzipped(path, o.onFileBytes) : await plain(path, o.onFileBytes);
  try {
    let carry = new Uint8Array(0); // the unfinished line of the previous chunk
    let first = true;
    for (;;) {
      const buf = new Uint8Array(Math.max(size, carry.length * 2, 4)); // 4: room to see a byte order mark
      buf.set(carry);
      let filled = carry.length;
      for (let n; filled < buf.length && (n = await source.read(buf, filled)) > 0; ) filled += n;
      let start = 0;
      if (first) {
        first = false;
        if (filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      const data = buf.subarray(start, filled);
      if (filled < buf.length) {
        if (data.length > 0) yield data; // the end of the file
        return;
      }
      const cut = data.lastIndexOf(NEWLINE) + 1;
      carry = data.slice(cut); // before the yield: the chunk's buffer may be transferred away
      if (cut > 0) yield data.subarray(0, cut);
    }
  } finally {
    await source.close();
  }
}

async function plain(path: string, onFileBytes?: (n: number) => void): Promise<{ read: ReadInto; close: () => Promise<void> }> {
  const handle = await open(path, "r");
  return {
    read: async (into, at) => {
      try {
        const { bytesRead } = await handle.read(into, at, into.length - at, null);
        onFileBytes?.(bytesRead);
        return bytesRead;
      } catch (e) {
        throw new SparseDbError("IO_ERROR", `${path}: read failed (${(e as Error).message})`, { cause: e });
      }
    },
    close: () => handle.close(),
  };
}

/** A gzip file's decompressed bytes, copied out of gunzip's pieces. */
async function gunzipped(path: string, onFileBytes?: (n: number) => void): Promise<{ read: ReadInto; close: () => Promise<void> }> {
  const stream = await openTextStream(path, { onFileBytes });
  const pieces = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let piece: Buffer = Buffer.alloc(0);
  let bytes = 0;
  return {
    read: async (into, at) => {
      while (piece.length === 0) {
        let r: IteratorResult<Buffer>;
        try {
          r = await pieces.next();
        } catch (e) {
          const zlibCode = (e as NodeJS.ErrnoException).code ?? "";
          const what = zlibCode.startsWith("Z_") ? "gzip data is corrupt or truncated" : "read failed";
          throw new SparseDbError("CORRUPTION", `${path}: ${what} after ${bytes} decompressed bytes (${(e as Error).message}); re-download or re-compress the file`, { cause: e });
        }
        if (r.done === true) return 0;
        piece = r.value;
      }
      const n = Math.min(piece.length, into.length - at);
      into.set(piece.subarray(0, n), at);
      piece = piece.subarray(n);
      bytes += n;
      return n;
    },
    close: async () => void stream.destroy(),
  };
}
