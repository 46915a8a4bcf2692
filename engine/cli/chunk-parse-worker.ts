/**
 * Worker thread body of ChunkParsePool: parses chunks of an input file with the parser that
 * workerData names (chunk-parsers.ts). Receives {job, bytes}; replies {job, parsed} (its typed
 * arrays transferred back) or {job, error}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { chunkParser, type ChunkFormat } from "./chunk-parsers.js";
import { chunkTransferList } from "./parsed-chunk.js";

const parser = chunkParser(workerData as ChunkFormat);

parentPort!.on("message", (m: { job: number; bytes: Uint8Array }) => {
  try {
    const parsed = parser.parse(m.bytes);
    parentPort!.postMessage({ job: m.job, parsed }, chunkTransferList(parsed));
  } catch (e) {
    parentPort!.postMessage({ job: m.job, error: (e as Error).message ?? String(e) });
  }
});
