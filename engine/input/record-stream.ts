import { SparseDbError } from "../errors.js";
import { MalformedLineError, readByteLines } from "./line-reader.js";

/** Options every line-oriented reader accepts. */
export interface RecordReadOptions {
  /** Stop after this many records. */
  limit?: number;
  /** Skip malformed lines (counted in `skippedLines`) instead of throwing on the first one. */
  skipBadLines?: boolean;
  /** Called with each skipped line's error when `skipBadLines` is set. */
  onBadLine?: (error: MalformedLineError) => void;
}

/**
 * Turns one line into a record. Return undefined to pass over a line that is not a record (a
 * header); throw (any error) when the line is malformed: the stream adds the file and line number.
 */
export type LineParser<T> = (text: string, lineNumber: number) => T | undefined;
/** The same over the line's raw bytes (UTF-8, no newline), for parsers that decode only parts. */
export type ByteLineParser<T> = (bytes: Buffer, lineNumber: number) => T | undefined;

/**
 * A streamed, line-oriented file of records, plain or gzip: iterate it with `for await`. Blank
 * lines are passed over. Each iteration re-reads the file from the start. `skippedLines` counts
 * the malformed lines passed over (with `skipBadLines`) during the latest iteration.
 */
export class RecordStream<T> implements AsyncIterable<T> {
  readonly path: string;
  private readonly makeParser: () => ByteLineParser<T>;
  private readonly options: RecordReadOptions;
  skippedLines = 0;

  /** `makeParser` is called once per iteration, so a parser may keep state (a header, a format). */
  private constructor(path: string, makeParser: () => ByteLineParser<T>, options: RecordReadOptions) {
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new SparseDbError("INVALID_ARGUMENT", `limit must be a non-negative integer, got ${String(limit)}`);
    }
    this.path = path;
    this.makeParser = makeParser;
    this.options = options;
  }

  /** Records parsed from each line's UTF-8 text. */
  static ofText<T>(path: string, makeParser: () => LineParser<T>, options: RecordReadOptions = {}): RecordStream<T> {
    return new RecordStream(
      path,
      () => {
        const parse = makeParser();
        return (bytes, lineNumber) => parse(bytes.toString("utf8"), lineNumber);
      },
      options,
    );
  }

  /** Records parsed from each line's raw bytes. */
  static ofBytes<T>(path: string, makeParser: () => ByteLineParser<T>, options: RecordReadOptions = {}): RecordStream<T> {
    return new RecordStream(path, makeParser, options);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const limit = this.options.limit ?? Infinity;
    this.skippedLines = 0;
    if (limit === 0) return;
    const parse = this.makeParser();
    let produced = 0;
    for await (const { bytes, lineNumber } of readByteLines(this.path)) {
      if (isBlank(bytes)) continue;
      let record: T | undefined;
      try {
        record = parse(bytes, lineNumber);
      } catch (err) {
        const problem = err instanceof Error ? err.message : String(err);
        const error = new MalformedLineError(this.path, lineNumber, problem, { cause: err });
        if (!this.options.skipBadLines) throw error;
        this.skippedLines++;
        this.options.onBadLine?.(error);
        continue;
      }
      if (record === undefined) continue;
      yield record;
      if (++produced >= limit) return;
    }
  }

  /** Reads every record (up to `limit`) into an array. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const r of this) out.push(r);
    return out;
  }
}

/** True when a line holds only spaces, tabs and carriage returns. */
function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}
