/**
 * Worker thread body of AnseriniParsePool: parses chunks of an Anserini TSV file
 * (anserini-chunk-parser.ts) with the vocabulary and scale of workerData. Receives
 * {job, bytes}; replies {job, parsed} (its typed arrays transferred back) or {job, error}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AnseriniChunkParser } from "./anserini-chunk-parser.js";

const { tokens, scale } = workerData as { tokens: string[]; scale: number };
const parser = new AnseriniChunkParser(tokens, scale);

parentPort!.on("message", (m: { job: number; bytes: Uint8Array }) => {
  try {
    const parsed = parser.parse(m.bytes);
    parentPort!.postMessage({ job: m.job, parsed }, [parsed.lines.buffer, parsed.offsets.buffer, parsed.terms.buffer, parsed.weights.buffer] as ArrayBuffer[]);
  } catch (e) {
    parentPort!.postMessage({ job: m.job, error: (e as Error).message ?? String(e) });
  }
});
