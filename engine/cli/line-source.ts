import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { SparseDbError } from "../errors.js";

/**
 * Lines of a text file, gzip or not (told by its magic bytes), with the count of file bytes read
 * so far for progress.
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
    const gz = await isGzip(this.path);
    const raw = createReadStream(this.path);
    raw.on("data", (c) => (this.bytesRead += c.length));
    const text = gz ? raw.pipe(createGunzip()) : raw;
    const rl = createInterface({ input: text, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const line of rl) yield [++n, line];
    } finally {
      rl.close();
      raw.destroy();
    }
  }
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
