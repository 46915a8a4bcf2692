import { availableParallelism, totalmem } from "node:os";
import type { ChunkFormat } from "./chunk-parsers.js";
import type { LineParserOptions } from "./input-formats.js";

/** Segment builder threads a bulk load runs beside the parser (collection/segment-build-service.ts: up to 2). */
const BUILDERS = 2;

/**
 * Parse threads for a bulk load: the cores the segment builders and the main thread leave, at
 * least one. On 2 cores parse, build and the main thread share both, so one parse thread (which
 * parses faster than the builders build) leaves the builders a core; more threads only add
 * switching and memory.
 */
export function defaultParseThreads(cores = availableParallelism()): number {
  return Math.min(4, Math.max(1, cores - BUILDERS));
}

/** The memory --on-error stop's check may keep the parsed file in: a quarter of the machine's, at most 4 GiB. */
export function defaultKeepBytes(): number {
  return Math.min(4 * 2 ** 30, Math.floor(totalmem() / 4));
}

/**
 * The byte-chunk parser for a bulk load's lines, when its format has one: Anserini TSV, and JSON
 * lines of token vectors (json-chunk-parser.ts leaves other lines to the line parser). Needs the
 * collection's vocabulary; undefined means line by line.
 */
export function chunkFormatFor(o: LineParserOptions): ChunkFormat | undefined {
  if (o.vocabulary === undefined) return undefined;
  if (o.format === "anserini") return { format: "anserini", tokens: o.vocabulary.tokens, scale: o.anseriniScale };
  // A text field named like a fast-path key would change what those keys mean.
  if (o.format === "jsonl" && o.vectorKeys === "tokens" && !["id", "vector", "dense"].includes(o.textField)) return { format: "jsonl", tokens: o.vocabulary.tokens };
  return undefined;
}
