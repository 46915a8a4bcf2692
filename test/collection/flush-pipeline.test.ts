import { cpSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import type { SegmentBuildService } from "../../engine/collection/segment-build-service.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { tempDir } from "./temp-dir.js";

const doc = (i: number) => ({ id: `d${i}`, vector: SparseVector.fromArrays([i % 5, 5 + (i % 7)], [1 + i / 100, 0.5]) });

/** Holds the next segment build until `release` is called (the builds after it go on). */
function holdNextBuild(c: CollectionStore): { started: Promise<void>; release: () => void } {
  const builds = (c as unknown as { builds: SegmentBuildService }).builds;
  const build = builds.build.bind(builds);
  let release!: () => void, started!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const startedP = new Promise<void>((r) => (started = r));
  let held = false;
  builds.build = (input, id) => {
    if (held) return build(input, id);
    held = true;
    started();
    return gate.then(() => build(input, id));
  };
  return { started: startedP, release };
}

describe("background flushes", () => {
  it("keep a frozen memtable's log while other flushes and merges commit first, so a crash then loses nothing acknowledged", async () => {
    const t = tempDir();
    const c = await CollectionStore.open(t.dir, { create: true, memtableMaxDocs: 4, autoMerge: false });
    try {
      for (let i = 0; i < 8; i++) await c.upsert([doc(i)]);
      await c.idle(); // two segments
      const hold = holdNextBuild(c);
      for (let i = 8; i < 12; i++) await c.upsert([doc(i)]); // acknowledged; their flush's build is held
      await hold.started;
      // Another background flush freezes, builds and commits before the held one...
      for (let i = 12; i < 16; i++) await c.upsert([doc(i)]);
      while (c.stats().segments < 3) await new Promise((r) => setTimeout(r, 5));
      // ...and a merge commits too.
      await c.forceMerge();
      const copy = `${t.dir}-crashed`;
      cpSync(t.dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
      hold.release();
      await c.idle();
      expect(c.count()).toBe(16);
      const reopened = await CollectionStore.open(copy);
      try {
        expect(reopened.count()).toBe(16);
        for (let i = 0; i < 16; i++) expect([...((await reopened.get(`d${i}`))?.vector.weights ?? [])]).toEqual([...doc(i).vector.weights]);
      } finally {
        await reopened.close();
      }
    } finally {
      await c.close();
      t.cleanup();
    }
  });

  it("let writers go on once the full memtable has frozen, while the previous flush still builds", async () => {
    const t = tempDir();
    const c = await CollectionStore.open(t.dir, { create: true, memtableMaxDocs: 4, autoMerge: false, durability: "off" });
    try {
      const hold = holdNextBuild(c);
      for (let i = 0; i < 4; i++) await c.upsert([doc(i)]);
      await hold.started;
      // 4 in the frozen memtable (held), then up to 8 more: writers never wait on the held
      // build, because the second flush freezes the memtable at 4 and builds on its own.
      for (let i = 4; i < 16; i++) await c.upsert([doc(i)]);
      expect(c.count()).toBe(16);
      hold.release();
      await c.flush();
      expect(c.count()).toBe(16);
      expect(c.stats().memtableDocs).toBe(0);
    } finally {
      await c.close();
      t.cleanup();
    }
  });
});
