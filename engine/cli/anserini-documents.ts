import { chunkDocuments, type LineEntry } from "./chunk-documents.js";

export type { LineEntry } from "./chunk-documents.js";

/**
 * An Anserini TSV file's documents (and bad lines) in file order, numbered by their line in the
 * file: the file read in byte chunks, parsed on `threads` worker threads (chunk-documents.ts).
 * Blank lines yield nothing.
 */
export function anseriniDocuments(
  path: string,
  o: { tokens: readonly string[]; scale: number; threads: number; chunkBytes?: number; onFileBytes?: (n: number) => void },
): AsyncGenerator<LineEntry> {
  return chunkDocuments(path, {
    format: { format: "anserini", tokens: o.tokens, scale: o.scale },
    threads: o.threads,
    chunkBytes: o.chunkBytes,
    onFileBytes: o.onFileBytes,
    slowLine: () => {
      throw new Error("the Anserini chunk parser leaves no line to the line parser");
    },
  });
}
