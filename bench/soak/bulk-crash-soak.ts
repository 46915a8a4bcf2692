import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AnseriniChunkParser } from "../../engine/cli/anserini-chunk-parser.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { bertTokens, writeAnseriniFile } from "../ingest/anserini-file.js";
import { runUntilKilled } from "./kill-child.js";

export interface BulkCrashReport {
  rounds: number;
  /** Documents the children reported committed (summed over rounds). */
  acknowledged: number;
  /** Reported-committed documents missing after reopening. */
  lost: number;
  /**
   * Rounds whose loaded documents are not the file's first k (k a commit point: a multiple of
   * the segment size, or the whole file) with the file's exact vectors: a hole, a torn segment,
   * a document out of order or a wrong vector.
   */
  notPrefix: number;
  unopenable: number;
}

const WRITER = fileURLToPath(new URL("./bulk-writer.js", import.meta.url));
const SCALE = 5;

/**
 * Rounds of: a child bulk-loads a generated Anserini file (`docs` documents, segments of
 * `segmentDocs`) into the collection at `dir` under ids of its own round, and is SIGKILLed at a
 * random moment; then the collection is reopened here and every round so far is checked: what a
 * child reported committed is there, and each round's documents are a prefix of the file up to
 * a commit point, vectors exact.
 */
export async function bulkCrashSoak(dir: string, rounds: number, o: { maxKillMs: number; docs?: number; segmentDocs?: number; log?: (s: string) => void }): Promise<BulkCrashReport> {
  const docs = o.docs ?? 20_000, segmentDocs = o.segmentDocs ?? 1000;
  const log = o.log ?? (() => undefined);
  const file = `${dir}.tsv`;
  await writeAnseriniFile(file, docs, { seed: 7, scale: SCALE });
  const want = new AnseriniChunkParser(bertTokens(), SCALE).parse(readFileSync(file));
  const report: BulkCrashReport = { rounds, acknowledged: 0, lost: 0, notPrefix: 0, unopenable: 0 };
  const acked: number[] = []; // per round: the most documents reported committed
  for (let round = 0; round < rounds; round++) {
    const lines = await runUntilKilled(WRITER, [join(dir), `b${round}`, file, String(SCALE), String(segmentDocs)], Math.floor(Math.random() * o.maxKillMs), "bulk writer");
    let committed = 0;
    for (const line of lines) {
      const m = JSON.parse(line) as { c?: number };
      if (m.c !== undefined) committed = Math.max(committed, m.c);
    }
    acked.push(committed);
    report.acknowledged += committed;
    let c: CollectionStore;
    try {
      c = await CollectionStore.open(dir);
    } catch (e) {
      report.unopenable++;
      log(`bulk round ${round}: cannot open: ${(e as Error).message}`);
      continue;
    }
    try {
      for (let r = 0; r <= round; r++) {
        // The loaded count k: the first missing document; then nothing after it may be present.
        let k = 0;
        while (k < docs && (await c.get(`b${r}-${k}`)) !== null) k++;
        let wrong = k % segmentDocs !== 0 && k !== docs ? `stops at ${k}, not a commit point` : "";
        for (let n = k + 1; n < docs && wrong === ""; n++) if ((await c.get(`b${r}-${n}`)) !== null) wrong = `holds ${n} after a hole at ${k}`;
        for (let n = 0; n < k && wrong === ""; n++) {
          const got = (await c.get(`b${r}-${n}`))!.vector;
          const from = want.offsets[n]!, to = want.offsets[n + 1]!;
          if (got.nnz !== to - from || got.terms.some((t, i) => t !== want.terms[from + i] || got.weights[i] !== want.weights[from + i])) wrong = `document ${n} holds another vector`;
        }
        if (wrong !== "") {
          report.notPrefix++;
          log(`bulk round ${round}: round ${r}'s documents ${wrong}`);
        }
        if (k < acked[r]!) {
          report.lost += acked[r]! - k;
          log(`bulk round ${round}: round ${r} reported ${acked[r]} committed, ${k} present`);
        }
      }
    } finally {
      await c.close();
    }
    log(`bulk round ${round}: ${committed} reported committed`);
  }
  return report;
}
