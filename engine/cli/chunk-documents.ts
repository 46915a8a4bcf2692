import type { DocumentInput } from "../requests.js";
import { SparseVector } from "../sparse-vector.js";
import { byteChunks } from "./byte-chunks.js";
import { ChunkParsePool } from "./chunk-parse-pool.js";
import type { ChunkFormat } from "./chunk-parsers.js";
import { chunkIds, type ParsedChunk } from "./parsed-chunk.js";

/** A line's document, or what is wrong with the line. */
export type LineEntry = [line: number, entry: DocumentInput | { bad: string }];

/** A parsed chunk with the lines of the file before it and its ids decoded. */
export interface NumberedChunk {
  base: number;
  chunk: ParsedChunk;
  ids: string[];
}

/** What the line parser makes of a line the fast path left to it; undefined for a blank line. */
export type SlowLine = (text: string) => DocumentInput | { bad: string } | undefined;

/**
 * An input file's parsed chunks in file order: read in byte chunks (byte-chunks.ts), parsed on
 * `threads` worker threads (chunk-parse-pool.ts).
 */
export async function* parsedChunks(
  path: string,
  o: { format: ChunkFormat; threads: number; chunkBytes?: number; onFileBytes?: (n: number) => void },
): AsyncGenerator<NumberedChunk> {
  const pool = new ChunkParsePool(o.format, o.threads);
  try {
    let base = 0; // lines before the chunk
    for await (const chunk of pool.parse(byteChunks(path, { chunkBytes: o.chunkBytes, onFileBytes: o.onFileBytes }))) {
      yield { base, chunk, ids: chunkIds(chunk) };
      base += chunk.lineCount;
    }
  } finally {
    await pool.close();
  }
}

/** The bytes a parsed chunk holds on to (for a memory budget). */
export function chunkBytesHeld(c: NumberedChunk): number {
  const p = c.chunk;
  return p.idBytes.byteLength * 3 + p.lines.byteLength + p.offsets.byteLength + p.terms.byteLength + p.weights.byteLength + 64 * (p.errors.length + p.slow.length);
}

/**
 * A chunk's documents, bad lines and lines for the line parser, merged in line order and
 * numbered by their line in the file. The vectors are views of the chunk's arrays, which the
 * parser made valid, so they are taken without checking them again.
 */
export function chunkEntries(c: NumberedChunk, slowLine: SlowLine): LineEntry[] {
  const { chunk, ids, base } = c;
  const { lines, offsets, terms, weights, errors, slow } = chunk;
  const docs = ids.length;
  const out: LineEntry[] = [];
  let d = 0, e = 0, s = 0;
  const NONE = 0xffffffff;
  for (;;) {
    const le = e < errors.length ? errors[e]!.line : NONE, ls = s < slow.length ? slow[s]!.line : NONE;
    // The documents before the next bad or slow line, in one go.
    const next = Math.min(le, ls);
    for (; d < docs && lines[d]! < next; d++) {
      const from = offsets[d]!, to = offsets[d + 1]!;
      out.push([base + lines[d]!, { id: ids[d]!, vector: SparseVector.fromCheckedArrays(terms.subarray(from, to), weights.subarray(from, to)) }]);
    }
    if (next === NONE) return out;
    if (le < ls) out.push([base + le, { bad: errors[e++]!.message }]);
    else {
      const entry = slowLine(slow[s++]!.text);
      if (entry !== undefined) out.push([base + ls, entry]);
    }
  }
}

/** An input file's documents (and bad lines) in file order, numbered by their line in the file. */
export async function* chunkDocuments(
  path: string,
  o: { format: ChunkFormat; threads: number; slowLine: SlowLine; chunkBytes?: number; onFileBytes?: (n: number) => void },
): AsyncGenerator<LineEntry> {
  for await (const c of parsedChunks(path, o)) for (const e of chunkEntries(c, o.slowLine)) yield e;
}
