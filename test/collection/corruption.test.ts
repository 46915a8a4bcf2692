import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { crc32c } from "../../storage/crc32c.js";
import { tempDir } from "./temp-dir.js";

/** A collection with two segments (one with deletions) and nothing in the log. */
async function build(dir: string): Promise<void> {
  const c = await CollectionStore.open(dir, { create: true, durability: "off", autoMerge: false });
  await c.upsert(Array.from({ length: 30 }, (_, i) => ({ id: `a${i}`, vector: { [i % 7]: 1 + i, [10 + (i % 3)]: 0.5 }, metadata: { i } })));
  await c.flush();
  await c.upsert(Array.from({ length: 20 }, (_, i) => ({ id: `b${i}`, vector: { [i % 5]: 2 + i }, metadata: { i } })));
  await c.delete(["a1", "a2", "b3"]);
  await c.close();
}

describe("corruption", () => {
  it("a flipped bit in any segment, deletion or manifest file is a checksum error naming the file, never a wrong answer", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await build(dir);
      const files = readdirSync(dir).filter((f) => /^(seg-|MANIFEST$)/.test(f));
      expect(files.some((f) => f.endsWith(".sdb"))).toBe(true);
      expect(files.some((f) => f.includes(".del-"))).toBe(true);
      const originals = new Map(files.map((f) => [f, readFileSync(`${dir}/${f}`)]));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...files), fc.nat(), async (file, r) => {
          const good = originals.get(file)!;
          const bit = r % (good.length * 8);
          const bad = Buffer.from(good);
          bad[bit >> 3]! ^= 1 << (bit & 7);
          writeFileSync(`${dir}/${file}`, bad);
          try {
            await expect(CollectionStore.open(dir)).rejects.toMatchObject({ code: "CORRUPTION", message: expect.stringContaining(file) });
          } finally {
            writeFileSync(`${dir}/${file}`, good);
          }
        }),
        { numRuns: 60 },
      );
      const c = await CollectionStore.open(dir);
      expect(c.count()).toBe(47);
      await c.close();
    } finally {
      cleanup();
    }
  });

  it("refuses a missing directory, a directory without a collection, and a locked one, saying what to do", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await expect(CollectionStore.open(dir)).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("create: true") });
      const c = await CollectionStore.open(dir, { create: true });
      await expect(CollectionStore.open(dir)).rejects.toMatchObject({ code: "LOCKED" });
      await c.close();
      const again = await CollectionStore.open(dir);
      await again.close();
      // A manifest from a future sparsedb (valid checksum, version 2).
      const buf = readFileSync(`${dir}/MANIFEST`);
      buf.writeUInt32LE(2, 8);
      buf.writeUInt32LE(crc32c(buf.subarray(20), crc32c(buf.subarray(8, 16))), 16);
      writeFileSync(`${dir}/MANIFEST`, buf);
      await expect(CollectionStore.open(dir)).rejects.toMatchObject({ code: "UNSUPPORTED_VERSION", message: expect.stringContaining("upgrade sparsedb") });
    } finally {
      cleanup();
    }
  });
});
