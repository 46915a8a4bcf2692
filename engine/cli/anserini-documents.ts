import type { DocumentInput } from "../requests.js";
import { SparseVector } from "../sparse-vector.js";
import { AnseriniParsePool } from "./anserini-parse-pool.js";
import { byteChunks } from "./byte-chunks.js";

/** A line's document, or what is wrong with the line. */
export type LineEntry = [line: number, entry: DocumentInput | { bad: string }];

/**
 * An Anserini TSV file's documents (and bad lines) in file order, numbered by their line in the
 * file: the file read in byte chunks (byte-chunks.ts), parsed on `threads` worker threads
 * (anserini-parse-pool.ts). Blank lines yield nothing. The vectors are views of the chunk's
 * arrays, which the parser made valid, so they are taken without checking them again.
 */
export async function* anseriniDocuments(
  path: string,
  o: { tokens: readonly string[]; scale: number; threads: number; chunkBytes?: number; onFileBytes?: (n: number) => void },
): AsyncGenerator<LineEntry> {
  const pool = new AnseriniParsePool(o.tokens, o.scale, o.threads);
  try {
    let base = 0; // lines before the chunk
    for await (const c of pool.parse(byteChunks(path, { chunkBytes: o.chunkBytes, onFileBytes: o.onFileBytes }))) {
      let e = 0;
      for (let d = 0; d < c.ids.length; d++) {
        const line = c.lines[d]!;
        for (; e < c.errors.length && c.errors[e]!.line < line; e++) yield [base + c.errors[e]!.line, { bad: c.errors[e]!.message }];
        const from = c.offsets[d]!, to = c.offsets[d + 1]!;
        yield [base + line, { id: c.ids[d]!, vector: SparseVector.fromCheckedArrays(c.terms.subarray(from, to), c.weights.subarray(from, to)) }];
      }
      for (; e < c.errors.length; e++) yield [base + c.errors[e]!.line, { bad: c.errors[e]!.message }];
      base += c.lineCount;
    }
  } finally {
    await pool.close();
  }
}
