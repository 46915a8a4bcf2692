import { AnseriniChunkParser } from "./anserini-chunk-parser.js";
import { JsonChunkParser } from "./json-chunk-parser.js";
import type { ParsedChunk } from "./parsed-chunk.js";

/** Which byte-chunk parser a pool runs (plain data: it is a worker's workerData). */
export type ChunkFormat = { format: "anserini"; tokens: readonly string[]; scale: number } | { format: "jsonl"; tokens: readonly string[] };

export interface ChunkParser {
  parse(bytes: Uint8Array): ParsedChunk;
}

export function chunkParser(f: ChunkFormat): ChunkParser {
  return f.format === "anserini" ? new AnseriniChunkParser(f.tokens, f.scale) : new JsonChunkParser(f.tokens);
}
