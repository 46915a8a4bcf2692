import { stat } from "node:fs/promises";
import { SparseDbError } from "../errors.js";
import { readByteLines } from "../input/line-reader.js";

/**
 * Lines of a CLI input file, gzip or not (told by its magic bytes), with the count of file bytes
 * read so far for progress. The lines come from engine/input's one line reader: a UTF-8 byte
 * order mark is dropped, `\r\n` is accepted, and a truncated or corrupt .gz fails with an error
 * naming the file and the line it broke after.
 */
export class LineSource {
  bytesRead = 0;
  constructor(readonly path: string, readonly size: number) {}

  static async open(path: string): Promise<LineSource> {
    const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
      throw new SparseDbError("NOT_FOUND", `cannot read ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
    });
    if (!s.isFile()) throw new SparseDbError("INVALID_ARGUMENT", `${path} is not a file`);
    return new LineSource(path, s.size);
  }

  /** Yields [lineNumber (1-based), line] for every line, empty lines included. */
  async *lines(): AsyncGenerator<[number, string]> {
    this.bytesRead = 0;
    for await (const { bytes, lineNumber } of readByteLines(this.path, { onFileBytes: (n) => (this.bytesRead += n) })) {
      yield [lineNumber, bytes.toString("utf8")];
    }
  }
}
