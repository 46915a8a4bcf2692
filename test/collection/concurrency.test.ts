import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { tempDir } from "./temp-dir.js";

const vec = (i: number, v: number) => ({ [i % 50]: 1 + v, [50 + (i % 7)]: 0.5 });

describe("writes while a flush or merge is in flight", () => {
  it("replacements and deletions made during a flush and a merge land on the new segment", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const c = await CollectionStore.open(dir, { create: true, durability: "off", autoMerge: false });
      await c.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `d${i}`, vector: vec(i, 0), metadata: { v: 0 } })));
      const flushing = c.flush();
      const during = [
        c.upsert(Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, vector: vec(i, 1), metadata: { v: 1 } }))),
        c.delete(Array.from({ length: 10 }, (_, i) => `d${10 + i}`)),
      ];
      await Promise.all([flushing, ...during]);
      await c.flush();
      // A merge with concurrent writes to the documents it is rewriting.
      const merging = c.forceMerge();
      const duringMerge = [
        c.upsert(Array.from({ length: 5 }, (_, i) => ({ id: `d${20 + i}`, vector: vec(20 + i, 2), metadata: { v: 2 } }))),
        c.delete(["d30", "d31", "d0"]),
      ];
      await Promise.all([merging, ...duringMerge]);
      const check = async (col: CollectionStore) => {
        expect(col.count()).toBe(100 - 10 - 3);
        expect((await col.get("d1"))?.metadata).toEqual({ v: 1 });
        expect(await col.get("d0")).toBeNull();
        expect(await col.get("d15")).toBeNull();
        expect(await col.get("d30")).toBeNull();
        expect((await col.get("d22"))?.metadata).toEqual({ v: 2 });
        expect((await col.get("d40"))?.metadata).toEqual({ v: 0 });
        const hits = await col.search({ vector: { 21: 1 }, k: 10 });
        expect(hits.map((h) => h.id).sort()).toEqual(["d21", "d71"]);
        expect(hits[0]!.id).toBe("d21"); // v2 weighs 3, d71 still 1
      };
      await check(c);
      await c.close();
      const reopened = await CollectionStore.open(dir);
      await check(reopened);
      await reopened.close();
    } finally {
      cleanup();
    }
  });
});
