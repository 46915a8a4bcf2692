/**
 * The child process of the crash soak's bulk-load rounds: bulk-loads an Anserini TSV file into a
 * collection through the CLI's fast path (byte chunks parsed on worker threads,
 * engine/cli/anserini-documents.ts, then CollectionStore.bulkLoad) until it is killed. Document
 * n of the file gets the id `<tag>-<n>`. Protocol on stdout, one JSON object per line:
 *   {"ready":true}        the load pulls its first document (the memtable flushed, merges idle)
 *   {"c":committed}       a segment commit returned: the first `committed` documents are durable
 *   {"done":loaded}       the whole file is loaded
 * Usage: node dist/bench/soak/bulk-writer.js <dir> <tag> <file> <scale> <segmentDocs>
 */
import { anseriniDocuments } from "../../engine/cli/anserini-documents.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import type { DocumentInput } from "../../engine/requests.js";
import { bertTokens } from "../ingest/anserini-file.js";

/** Small chunks (the CLI reads 4 MiB), so the first commits come early in a small file. */
const CHUNK_BYTES = 64 << 10;

async function main(): Promise<void> {
  const [dir, tag, file, scale, segmentDocs] = process.argv.slice(2);
  if (!dir || !tag || !file || !scale || !segmentDocs) throw new Error("usage: bulk-writer.js <dir> <tag> <file> <scale> <segmentDocs>");
  const c = await CollectionStore.open(dir, { create: true, memtableMaxDocs: 500, mergePolicy: { floorDocs: 500, mergeFactor: 4 } });
  const say = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + "\n");
  async function* docs(): AsyncGenerator<DocumentInput> {
    say({ ready: true });
    let n = 0;
    for await (const [line, entry] of anseriniDocuments(file!, { tokens: bertTokens(), scale: Number(scale), threads: 2, chunkBytes: CHUNK_BYTES })) {
      if ("bad" in entry) throw new Error(`${file}:${line}: ${entry.bad}`);
      yield { ...entry, id: `${tag}-${n++}` };
    }
  }
  const loaded = await c.bulkLoad(docs(), { segmentDocs: Number(segmentDocs), onCommit: ({ committedDocs }) => say({ c: committedDocs }) });
  say({ done: loaded });
  await c.close();
}

main().catch((e) => {
  process.stderr.write(`bulk-writer: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
