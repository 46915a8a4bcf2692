import { describeError } from "./cli-io.js";
import { chunkBytesHeld, chunkEntries, parsedChunks, type LineEntry, type NumberedChunk, type SlowLine } from "./chunk-documents.js";
import type { ChunkFormat } from "./chunk-parsers.js";
import { parseDocumentLine, type LineParserOptions } from "./input-formats.js";
import type { LineSource } from "./line-source.js";

/** Lines per batch of the line path. */
const LINE_BATCH = 256;

/**
 * An input file's documents and bad lines in file order, in batches (LineEntry), with the file's
 * bytes read so far for progress. `check` is the pass of --on-error stop: it finds the first bad
 * line, and a reader that can keeps what it parsed (within a memory budget) so that the load
 * after it replays that instead of reading and parsing the file a second time.
 */
export interface InputReader {
  batches(): AsyncIterable<LineEntry[]>;
  readonly bytesRead: number;
  readonly size: number;
  check(onProgress: (line: number) => void): Promise<{ line: number; message: string } | undefined>;
  /** Whether the last check kept the whole parsed file (then batches() reads nothing). */
  readonly kept: boolean;
}

/** A line the line parser reads (input-formats.ts); undefined for a blank line. */
export function parseLineEntry(line: string, parser: LineParserOptions): LineEntry[1] | undefined {
  if (line.trim() === "") return undefined;
  try {
    return parseDocumentLine(line, parser);
  } catch (e) {
    return { bad: describeError(e) };
  }
}

/** Line by line through input-formats.ts (every format; the only path for text and --connect). */
export function lineReader(source: LineSource, parser: LineParserOptions): InputReader {
  const reader: InputReader = {
    async *batches() {
      let batch: LineEntry[] = [];
      for await (const [n, line] of source.lines()) {
        const entry = parseLineEntry(line, parser);
        if (entry === undefined) continue;
        batch.push([n, entry]);
        if (batch.length >= LINE_BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
    get bytesRead() {
      return source.bytesRead;
    },
    size: source.size,
    check: (onProgress) => firstBad(reader.batches(), onProgress),
    kept: false,
  };
  return reader;
}

async function firstBad(batches: AsyncIterable<LineEntry[]>, onProgress: (line: number) => void): Promise<{ line: number; message: string } | undefined> {
  for await (const batch of batches) {
    for (const [line, entry] of batch) {
      if ("bad" in entry) return { line, message: entry.bad };
      onProgress(line);
    }
  }
  return undefined;
}

/**
 * A file in byte chunks parsed on worker threads (chunk-documents.ts); the lines the fast path
 * leaves go through the line parser here. The check of --on-error stop keeps the parsed chunks
 * (their typed arrays, the slow lines' documents) while they fit in `keepBytes`, parsing on
 * `checkThreads` (default `threads`).
 */
export function chunkReader(
  source: LineSource,
  o: { format: ChunkFormat; threads: number; parser: LineParserOptions; keepBytes: number; chunkBytes?: number; checkThreads?: number },
): InputReader {
  let bytesRead = 0;
  /** What the check kept: each chunk with its slow lines already parsed. */
  let kept: { chunk: NumberedChunk; slow: (LineEntry[1] | undefined)[]; bytesRead: number }[] | null = null;
  const slowLine: SlowLine = (text) => parseLineEntry(text, o.parser);
  const chunks = (threads = o.threads) => {
    bytesRead = 0;
    return parsedChunks(source.path, { format: o.format, threads, chunkBytes: o.chunkBytes, onFileBytes: (n) => (bytesRead += n) });
  };
  return {
    async *batches() {
      if (kept !== null) {
        const replay = kept;
        kept = null; // each chunk is let go once handed on
        while (replay.length > 0) {
          const k = replay.shift()!;
          bytesRead = k.bytesRead;
          let s = 0;
          yield chunkEntries(k.chunk, () => k.slow[s++]);
        }
        return;
      }
      for await (const c of chunks()) yield chunkEntries(c, slowLine);
    },
    get bytesRead() {
      return bytesRead;
    },
    size: source.size,
    async check(onProgress) {
      let held = 0;
      let keep: typeof kept = [];
      kept = null;
      // Nothing builds during the check: it may parse on more threads than the load does.
      for await (const c of chunks(o.checkThreads ?? o.threads)) {
        onProgress(c.base + 1); // progress from the first line on (a chunk's lines parse at once)
        const { errors, slow: slowLines } = c.chunk;
        const slow = slowLines.map((l) => slowLine(l.text));
        // The chunk's first bad line: the fast parser's first error or the line parser's.
        let bad = errors.length > 0 ? { line: c.base + errors[0]!.line, message: errors[0]!.message } : undefined;
        const s = slow.findIndex((e) => e !== undefined && "bad" in e);
        if (s >= 0 && (bad === undefined || c.base + slowLines[s]!.line < bad.line)) bad = { line: c.base + slowLines[s]!.line, message: (slow[s] as { bad: string }).bad };
        if (bad !== undefined) return bad;
        if (keep !== null) {
          held += chunkBytesHeld(c) + slowLines.reduce((n, l) => n + 2 * l.text.length, 0);
          if (held <= o.keepBytes) keep.push({ chunk: c, slow, bytesRead });
          else keep = null; // too large to keep: the load reads the file again
        }
        onProgress(c.base + c.chunk.lineCount);
      }
      kept = keep;
      return undefined;
    },
    get kept() {
      return kept !== null;
    },
  };
}
