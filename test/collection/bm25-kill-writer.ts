/**
 * Child process of bm25-kill.test.ts: opens a BM25 collection and upserts, replaces and deletes
 * text documents (their text also in metadata, so the checker can recount them) with small
 * memtables, so flushes and merges run, until it is SIGKILLed. Prints {"ready":true} once open.
 * Usage: node dist/test/collection/bm25-kill-writer.js <dir> <seed>
 */
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";

export const KILL_WORDS = ["river", "sea", "bread", "yeast", "the", "of", "bees", "honey", "light", "glacier", "valley", "coffee"];
export const KILL_IDS = 40;

async function main(): Promise<void> {
  const [dir, seedArg] = process.argv.slice(2);
  if (!dir) throw new Error("usage: bm25-kill-writer.js <dir> <seed>");
  let s = Number(seedArg ?? 1) >>> 0 || 1;
  const r = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const encoder = new Bm25Encoder({ kind: "bm25" });
  const c = await CollectionStore.open(dir, { create: true, encoder, durability: "always", memtableMaxDocs: 15, mergePolicy: { floorDocs: 10, mergeFactor: 3 } });
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
  for (;;) {
    const id = () => `d${Math.floor(r() * KILL_IDS)}`;
    if (r() < 0.25) await c.delete([id(), id()]);
    else {
      const docs = Array.from({ length: 1 + Math.floor(r() * 4) }, () => {
        const text = Array.from({ length: Math.floor(r() * 9) }, () => KILL_WORDS[Math.floor(r() * KILL_WORDS.length)]!).join(" ");
        return { id: id(), text, metadata: { text } };
      });
      await c.upsert(docs);
    }
  }
}

if (process.argv[1]?.endsWith("bm25-kill-writer.js")) {
  main().catch((e) => {
    process.stderr.write(`bm25-kill-writer: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
