import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { SparseDbError } from "../errors.js";

/** A line of a text file and its 1-based number. */
export interface NumberedLine {
  text: string;
  lineNumber: number;
}

/** A line of an input file that could not be parsed: the message starts with `file:line:`. */
export class MalformedLineError extends SparseDbError {
  readonly file: string;
  readonly lineNumber: number;
  readonly problem: string;
  constructor(file: string, lineNumber: number, problem: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", `${file}:${lineNumber}: ${problem}`, options);
    this.name = "MalformedLineError";
    this.file = file;
    this.lineNumber = lineNumber;
    this.problem = problem;
  }
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** True when the file starts with gzip's magic bytes (1f 8b), whatever its name says. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await openOrExplain(path);
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
  } finally {
    await handle.close();
  }
}

async function openOrExplain(path: string) {
  try {
    return await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new SparseDbError("NOT_FOUND", `input file ${path} does not exist; check the path`, { cause: err });
    }
    if (code === "EISDIR") {
      throw new SparseDbError("INVALID_ARGUMENT", `${path} is a folder; pass a file`, { cause: err });
    }
    throw new SparseDbError("IO_ERROR", `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Options of the line readers. */
export interface LineReadOptions {
  /** Called with the size of each chunk read from the file (compressed bytes for gzip), for progress. */
  onFileBytes?: (bytes: number) => void;
}

/** The file's bytes as a stream, gunzipped when the file is gzip (detected by magic bytes). */
export async function openTextStream(path: string, options: LineReadOptions = {}): Promise<Readable> {
  return (await openCounted(path, options)).stream;
}

/**
 * openTextStream, and whether the file is gzip. The file's bytes are counted on the raw stream
 * (a listener attached in the same tick as the pipe, so nothing is missed) only for gzip; a
 * plain stream is counted by its reader, chunk by chunk, to leave it paused until read.
 */
async function openCounted(path: string, options: LineReadOptions): Promise<{ stream: Readable; gzip: boolean }> {
  const gz = await isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!gz) return { stream: raw, gzip: false };
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on("error", (err) => gunzip.destroy(err));
  const onFileBytes = options.onFileBytes;
  if (onFileBytes !== undefined) raw.on("data", (chunk) => onFileBytes(chunk.length));
  return { stream: raw.pipe(gunzip), gzip: true };
}

/** A line's raw bytes (without the newline or a trailing `\r`) and its 1-based number. */
export interface NumberedByteLine {
  bytes: Buffer;
  lineNumber: number;
}

/**
 * Streams a file (plain or gzip) as lines of raw bytes, numbering lines from 1; `\r\n` endings
 * are accepted. Splitting bytes, not decoded text, lets a parser skip decoding what it does not
 * need (the 1 GB query-vector file reads in a third of the time). A UTF-8 byte order mark at the
 * start of the file (as Windows editors write) is dropped. Read or gunzip failures become a
 * SparseDbError naming the file and the last line read.
 */
export async function* readByteLines(path: string, options: LineReadOptions = {}): AsyncGenerator<NumberedByteLine> {
  const { stream, gzip } = await openCounted(path, options);
  const countPlain = gzip ? undefined : options.onFileBytes;
  let lineNumber = 0;
  let pending: Buffer[] = [];
  try {
    let first = true;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      countPlain?.(chunk.length);
      let start = 0;
      if (first) {
        first = false;
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
      }
      let newline: number;
      while ((newline = chunk.indexOf(NEWLINE, start)) >= 0) {
        const piece = chunk.subarray(start, newline);
        const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        start = newline + 1;
        lineNumber++;
        yield { bytes: withoutCarriageReturn(line), lineNumber };
      }
      // Copy the tail: the stream may reuse the chunk's memory.
      if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
    }
  } catch (err) {
    if (err instanceof SparseDbError) throw err;
    const zlibCode = (err as NodeJS.ErrnoException).code ?? "";
    const what = zlibCode.startsWith("Z_") ? "gzip data is corrupt or truncated" : "read failed";
    throw new SparseDbError(
      "CORRUPTION",
      `${path}: ${what} after line ${lineNumber} (${(err as Error).message}); re-download or re-compress the file`,
      { cause: err },
    );
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) {
    lineNumber++;
    yield { bytes: withoutCarriageReturn(Buffer.concat(pending)), lineNumber };
  }
}

/** Streams a text file (plain or gzip) as UTF-8 lines, numbered from 1. */
export async function* readLines(path: string, options: LineReadOptions = {}): AsyncGenerator<NumberedLine> {
  for await (const { bytes, lineNumber } of readByteLines(path, options)) {
    yield { text: bytes.toString("utf8"), lineNumber };
  }
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, line.length - 1) : line;
}
