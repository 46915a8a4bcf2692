import { NO_LENGTH } from "../../engine/collection/corpus-statistics.js";
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { encodeUpsert, RECORD_UPSERT } from "../../engine/collection/wal-records.js";
import { nodeFileSystem } from "../../storage/file-system.js";
import { parseWal } from "../../storage/wal-reader.js";
import { WalWriter } from "../../storage/wal-writer.js";
import { tempDir } from "./temp-dir.js";

const doc = (i: number) => ({ id: `d${i}`, vector: { [i % 50]: 1 + i, [100 + (i % 7)]: 0.5 }, metadata: { i } });

/** A collection image as SIGKILL leaves it: `n` acknowledged one-document upserts, all in the log. */
async function crashImage(dir: string, n: number): Promise<string> {
  const c = await CollectionStore.open(dir, { create: true, durability: "always", autoMerge: false });
  for (let i = 0; i < n; i++) await c.upsert([doc(i)]);
  const image = `${dir}-image`;
  cpSync(dir, image, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
  await c.close();
  return image;
}

const logsOf = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("wal-")).sort();

describe("damaged write-ahead logs", () => {
  it("a flipped bit in a log record with valid records after it refuses the open (file and offset named); in the last record it is a torn tail", async () => {
    const t = tempDir();
    try {
      const image = await crashImage(t.dir, 12);
      const [log] = logsOf(image);
      const path = `${image}/${log}`;
      const good = readFileSync(path);
      const records = parseWal(good, path);
      expect(records.records.length).toBe(12);
      const starts: number[] = [];
      for (let p = 16, i = 0; i < 12; i++) {
        starts.push(p);
        p += 9 + records.records[i]!.payload.length;
      }
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 16 * 8, max: good.length * 8 - 1 }), async (bit) => {
          const copy = `${image}-${++run}`;
          cpSync(image, copy, { recursive: true });
          const bad = Buffer.from(good);
          bad[bit >> 3]! ^= 1 << (bit & 7);
          writeFileSync(`${copy}/${log}`, bad);
          const record = starts.filter((s) => s <= bit >> 3).length - 1;
          if (record < 11) {
            await expect(CollectionStore.open(copy)).rejects.toMatchObject({
              code: "CORRUPTION",
              message: expect.stringMatching(new RegExp(`${log}.*byte offset ${starts[record]}\\b.*${11 - record} valid record.*repair`)),
            });
            expect(readFileSync(`${copy}/${log}`).equals(bad)).toBe(true); // nothing was truncated
            const repaired = await CollectionStore.open(copy, { repairWal: true });
            expect(repaired.count()).toBe(record);
            expect(repaired.stats().walRepairs[0]).toMatchObject({ offset: starts[record], droppedRecords: 11 - record });
            await repaired.close();
          } else {
            const c = await CollectionStore.open(copy);
            expect(c.count()).toBe(11); // a bad last record is indistinguishable from a torn append
            await c.close();
          }
        }),
        { numRuns: 25 },
      );
    } finally {
      t.cleanup();
    }
  }, 60_000);

  it("repairWal keeps the records before the damage and reports what it dropped", async () => {
    const t = tempDir();
    try {
      const image = await crashImage(t.dir, 10);
      const [log] = logsOf(image);
      const path = `${image}/${log}`;
      const good = readFileSync(path);
      const r = parseWal(good, path);
      let offset = 16;
      for (let i = 0; i < 4; i++) offset += 9 + r.records[i]!.payload.length;
      const bad = Buffer.from(good);
      bad[offset + 12]! ^= 0x20; // inside record 4's payload
      writeFileSync(path, bad);
      await expect(CollectionStore.open(image)).rejects.toMatchObject({ code: "CORRUPTION" });
      const c = await CollectionStore.open(image, { repairWal: true });
      expect(c.count()).toBe(4);
      for (let i = 0; i < 4; i++) expect((await c.get(`d${i}`))?.metadata).toEqual({ i });
      expect(await c.get("d4")).toBeNull();
      expect(c.stats().walRepairs).toEqual([{ file: path, offset, droppedRecords: 5, droppedBytes: good.length - offset }]);
      await c.upsert([doc(100)]);
      await c.close();
      const again = await CollectionStore.open(image);
      expect(again.count()).toBe(5);
      expect(again.stats().walRepairs).toEqual([]);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it("a bad record at the end of an older log is damage when a newer log holds records, a torn tail when newer logs are empty", async () => {
    const t = tempDir();
    try {
      const image = await crashImage(t.dir, 1);
      for (const f of logsOf(image)) writeFileSync(`${image}/${f}`, Buffer.alloc(0));
      const [first] = logsOf(image);
      const n = Number(/wal-(\d+)/.exec(first!)![1]);
      const name = (k: number) => `wal-${String(k).padStart(6, "0")}.log`;
      const older = await WalWriter.create(nodeFileSystem, image, `${image}/${name(n)}`, "always");
      for (let i = 0; i < 3; i++) await older.append(RECORD_UPSERT, encodeUpsert([{ id: `o${i}`, terms: Uint32Array.of(i + 1), weights: Float32Array.of(1), meta: null, length: NO_LENGTH }]), () => undefined);
      await older.close();
      const newer = await WalWriter.create(nodeFileSystem, image, `${image}/${name(n + 1)}`, "always");
      await newer.close();
      // Older log: cut inside its last record, as a crash during rotation in batch mode leaves it.
      const olderPath = `${image}/${name(n)}`;
      const size = statSync(olderPath).size;
      writeFileSync(olderPath, readFileSync(olderPath).subarray(0, size - 3));
      const torn = `${image}-torn`;
      cpSync(image, torn, { recursive: true });
      const c = await CollectionStore.open(torn);
      expect(c.count()).toBe(2);
      await c.close();
      // The same, but the newer log holds an acknowledged record: the bad bytes are damage.
      const again = await WalWriter.reopen(nodeFileSystem, `${image}/${name(n + 1)}`, 16, "always");
      await again.append(RECORD_UPSERT, encodeUpsert([{ id: "new", terms: Uint32Array.of(9), weights: Float32Array.of(1), meta: null, length: NO_LENGTH }]), () => undefined);
      await again.close();
      await expect(CollectionStore.open(image)).rejects.toMatchObject({ code: "CORRUPTION", message: expect.stringContaining(name(n)) });
      const repaired = await CollectionStore.open(image, { repairWal: true });
      expect(repaired.count()).toBe(2);
      expect(repaired.stats().walRepairs.map((x) => [x.file.endsWith(name(n)), x.droppedRecords])).toEqual([
        [true, 0],
        [false, 1],
      ]);
      await repaired.close();
    } finally {
      t.cleanup();
    }
  });
});
