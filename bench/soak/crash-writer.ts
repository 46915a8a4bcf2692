/**
 * The child process of the crash soak (and of test/collection/crash.test.ts): opens a collection
 * with durability "always" and upserts from several concurrent writers until it is killed.
 * Protocol on stdout, one JSON object per line (stdout to a pipe is synchronous on Linux, so a
 * line the parent has read was written before the kill):
 *   {"ready":true}                                    collection opened
 *   {"s":[id, version, terms[], weights[], dense[] | null]}  about to upsert (attempted)
 *   {"a":[id, version]}                               upsert resolved (acknowledged)
 * Usage: node dist/bench/soak/crash-writer.js <dir> <tag> [writers]
 */
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { SOAK_DENSE } from "./soak-dense.js";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function randomVector(r: () => number): SparseVector {
  const n = 4 + Math.floor(r() * 30);
  const terms = new Set<number>();
  while (terms.size < n) terms.add(Math.floor(r() * 30522));
  const t = [...terms];
  return SparseVector.fromArrays(t, t.map(() => Math.fround(0.01 + r() * 3)));
}

async function main(): Promise<void> {
  const [dir, tag, writersArg] = process.argv.slice(2);
  if (!dir || !tag) throw new Error("usage: crash-writer.js <dir> <tag> [writers]");
  const writers = Number(writersArg ?? 8);
  const c = await CollectionStore.open(dir, {
    create: true,
    durability: "always",
    memtableMaxDocs: 200,
    mergePolicy: { floorDocs: 200, mergeFactor: 4 },
    dense: SOAK_DENSE,
  });
  const say = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + "\n");
  say({ ready: true });
  const r = rng(Date.now() ^ (process.pid << 8));
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const versions: number[] = [];
      for (;;) {
        const batch: { id: string; version: number; vector: SparseVector; dense: Float32Array | null }[] = [];
        const size = 1 + Math.floor(r() * 3);
        for (let b = 0; b < size; b++) {
          const reuse = versions.length > 0 && r() < 0.3;
          const n = reuse ? Math.floor(r() * versions.length) : versions.length;
          if (!reuse) versions.push(0);
          if (batch.some((x) => x.id === `${tag}-${w}-${n}`)) continue;
          versions[n]!++;
          const dense = r() < 0.7 ? Float32Array.from({ length: SOAK_DENSE.dims }, () => r() * 2 - 1) : null;
          batch.push({ id: `${tag}-${w}-${n}`, version: versions[n]!, vector: randomVector(r), dense });
        }
        for (const d of batch) say({ s: [d.id, d.version, Array.from(d.vector.terms), Array.from(d.vector.weights), d.dense === null ? null : Array.from(d.dense)] });
        await c.upsert(batch.map((d) => ({ id: d.id, vector: d.vector, metadata: { v: d.version, tag }, ...(d.dense === null ? {} : { dense: d.dense }) })));
        for (const d of batch) say({ a: [d.id, d.version] });
      }
    }),
  );
}

main().catch((e) => {
  process.stderr.write(`crash-writer: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
