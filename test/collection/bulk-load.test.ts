import { cpSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import type { DocumentInput } from "../../engine/requests.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { nodeFileSystem } from "../../storage/file-system.js";
import { FaultInjectingFileSystem } from "../../storage/fault-injecting-file-system.js";
import { tempDir } from "./temp-dir.js";

const vec = (i: number, v: number): SparseVector => SparseVector.fromArrays([i % 7, 7 + ((i + v) % 5)], [1 + ((i * 3 + v) % 11) / 4, 0.25 + (v % 3)]);
const doc = (i: number, v: number): DocumentInput => ({ id: `d${i}`, vector: vec(i, v), ...(v % 2 === 0 ? { metadata: { i, v } } : {}) });

async function* stream(docs: DocumentInput[]): AsyncGenerator<DocumentInput> {
  for (const d of docs) yield d;
}

/** Everything a reader can see: each id's vector and metadata, the count, and searches. */
async function contents(c: CollectionStore, ids: number[]): Promise<unknown> {
  const got = [];
  for (const i of ids) {
    const g = await c.get(`d${i}`);
    got.push(g === null ? null : { id: g.id, terms: [...g.vector.terms], weights: [...g.vector.weights], metadata: g.metadata });
  }
  const searches = [];
  // k above the document count: every match, ranked (a tie at a k cutoff may pick either id).
  for (const t of [0, 3, 8]) searches.push((await c.search({ vector: SparseVector.fromArrays([t, 9], [1, 0.5]), k: 100 })).map((h) => [h.id, h.score, h.metadata]));
  return { count: c.count(), got, searches };
}

const docArb = fc.array(fc.tuple(fc.nat(15), fc.nat(6)), { maxLength: 40 });

describe("bulk load", () => {
  it("holds what upserting the same documents one by one holds, replacements of earlier ids included (property)", async () => {
    await fc.assert(
      fc.asyncProperty(docArb, docArb, fc.integer({ min: 1, max: 7 }), fc.boolean(), async (before, loaded, segmentDocs, reopen) => {
        const a = tempDir(), b = tempDir();
        const opts = { create: true, memtableMaxDocs: 4, mergePolicy: { floorDocs: 2, mergeFactor: 2 } };
        let bulk = await CollectionStore.open(a.dir, opts);
        const upserted = await CollectionStore.open(b.dir, opts);
        try {
          // Both start from the same existing documents (in segments and in the memtable).
          for (const [i, v] of before) {
            await bulk.upsert([doc(i, v)]);
            await upserted.upsert([doc(i, v)]);
          }
          const reported: number[] = [];
          const n = await bulk.bulkLoad(stream(loaded.map(([i, v]) => doc(i, v + 1))), { segmentDocs, onCommit: (p) => reported.push(p.committedDocs) });
          for (const [i, v] of loaded) await upserted.upsert([doc(i, v + 1)]);
          expect(n).toBe(loaded.length);
          expect(reported.at(-1) ?? 0).toBe(loaded.length);
          if (reopen) {
            await bulk.close();
            bulk = await CollectionStore.open(a.dir, opts);
          }
          await bulk.idle();
          const ids = Array.from({ length: 16 }, (_, i) => i);
          expect(await contents(bulk, ids)).toEqual(await contents(upserted, ids));
          expect(bulk.corpusStatistics()).toEqual(upserted.corpusStatistics());
          // Writes after the load go through the log as usual.
          await bulk.upsert([doc(1, 9)]);
          await upserted.upsert([doc(1, 9)]);
          expect(await contents(bulk, ids)).toEqual(await contents(upserted, ids));
        } finally {
          await bulk.close();
          await upserted.close();
          a.cleanup();
          b.cleanup();
        }
      }),
      { numRuns: 25, endOnFailure: true, examples: [[[[6, 0], [1, 0], [9, 2]], [[0, 0], [3, 0], [4, 0], [2, 3], [5, 0], [7, 0], [0, 0], [8, 0], [10, 2]], 6, false]] },
    );
  }, 60_000);

  it("lets an upsert issued during the load wait and then win over the loaded version", async () => {
    const t = tempDir();
    const c = await CollectionStore.open(t.dir, { create: true });
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      async function* slow(): AsyncGenerator<DocumentInput> {
        yield doc(1, 1);
        await gate;
        yield doc(2, 1);
      }
      const load = c.bulkLoad(slow(), { segmentDocs: 1 });
      await new Promise((r) => setTimeout(r, 20));
      const write = c.upsert([doc(1, 5)]);
      release();
      await Promise.all([load, write]);
      await c.close();
      const again = await CollectionStore.open(t.dir);
      expect([...(await again.get("d1"))!.vector.weights]).toEqual([...vec(1, 5).weights]);
      expect(again.count()).toBe(2);
      await again.close();
    } finally {
      await c.close();
      t.cleanup();
    }
  });

  it("after a crash at any point of the load, opens holding exactly the documents reported committed", async () => {
    const docs = Array.from({ length: 23 }, (_, i) => doc(i % 19, i));
    // A first run counts the load's disk-changing calls; then a crash lands at each in turn.
    const count = new FaultInjectingFileSystem(nodeFileSystem);
    const t0 = tempDir();
    const c0 = await CollectionStore.open(t0.dir, { create: true, fs: count, autoMerge: false });
    const start = count.mutatingCalls;
    await c0.bulkLoad(stream(docs), { segmentDocs: 5 });
    const calls = count.mutatingCalls - start;
    await c0.close();
    t0.cleanup();
    expect(calls).toBeGreaterThan(10);
    const expected = new Map<number, string>(); // prefix length -> the reference's contents
    let midway = 0;
    for (let at = 0; at < calls; at++) {
      const t = tempDir();
      const fs = new FaultInjectingFileSystem(nodeFileSystem);
      const c = await CollectionStore.open(t.dir, { create: true, fs, autoMerge: false });
      await c.upsert([doc(0, 100), doc(20, 100)]); // present before: replaced by the load (d0) or kept (d20)
      let reported = 0;
      fs.inject({ op: "any", kind: "crash", after: at });
      const result = await c.bulkLoad(stream(docs), { segmentDocs: 5, onCommit: (p) => (reported = p.committedDocs) }).then(
        () => "done",
        (e: { code?: string }) => e.code,
      );
      const copy = `${t.dir}-crashed`;
      cpSync(t.dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
      await c.close().catch(() => undefined);
      const reopened = await CollectionStore.open(copy);
      try {
        // The reference: the documents before the load, then a prefix of the load: the part
        // reported committed, or (a crash after the manifest's rename, before the commit returned)
        // the next segment's worth too. Never less than reported, never a partial segment.
        const prefixes = [reported, Math.min(reported + 5, docs.length)];
        const ids = Array.from({ length: 21 }, (_, i) => i);
        const got = await contents(reopened, ids);
        const candidates = [];
        for (const p of prefixes) {
          if (!expected.has(p)) {
            const ref = await CollectionStore.open(`${t.dir}-ref`, { create: true });
            await ref.upsert([doc(0, 100), doc(20, 100)]);
            for (const d of docs.slice(0, p)) await ref.upsert([d]);
            expected.set(p, JSON.stringify(await contents(ref, ids)));
            await ref.close();
          }
          candidates.push(expected.get(p));
        }
        expect(candidates, `crash at call ${at} (${result}), reported ${reported}`).toContain(JSON.stringify(got));
        if (reported > 0 && reported < docs.length) midway++;
        if (result === "done") expect(reported).toBe(docs.length);
      } finally {
        await reopened.close();
        t.cleanup();
      }
    }
    expect(midway).toBeGreaterThan(0); // some crashes hit after a commit and before the end
  }, 120_000);

  it("after an I/O error mid-load, refuses further use until reopened, and the reopened collection holds what was reported", async () => {
    const t = tempDir();
    const fs = new FaultInjectingFileSystem(nodeFileSystem);
    const c = await CollectionStore.open(t.dir, { create: true, fs });
    try {
      await c.upsert([doc(0, 100), doc(1, 100)]);
      let reported = 0;
      fs.inject({ op: "open", kind: "EIO", path: /\.sdb/, after: 2 }); // the memtable's segment and the first bulk one open; the second fails
      const docs = Array.from({ length: 12 }, (_, i) => doc(i, i));
      await expect(c.bulkLoad(stream(docs), { segmentDocs: 5, onCommit: (p) => (reported = p.committedDocs) })).rejects.toMatchObject({ code: "IO_ERROR" });
      expect(reported).toBe(5);
      await expect(c.upsert([doc(3, 1)])).rejects.toThrow(/bulk load .* failed .*close the collection and open it again/);
      await c.close();
      const again = await CollectionStore.open(t.dir);
      expect(again.count()).toBe(5);
      expect([...(await again.get("d1"))!.vector.weights]).toEqual([...vec(1, 1).weights]); // replaced by the committed part
      expect(await again.get("d5")).toBeNull();
      await again.close();
    } finally {
      await c.close().catch(() => undefined);
      t.cleanup();
    }
  });
});
