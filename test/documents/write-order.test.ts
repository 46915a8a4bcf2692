import { cpSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { tempDir } from "../collection/temp-dir.js";
import { WORDS, wordEncoder } from "./word-encoder.js";

/**
 * setMetadata and delete({filter}) read the live documents and then log a record computed from
 * them; under concurrent writes the state they read must be the one their record's place in the
 * log implies. If it is, replaying the log (a crash) rebuilds exactly the live state.
 */
type Op = { op: "upsert"; id: string; word: string; g: number } | { op: "patch"; id: string; n: number } | { op: "delete"; id: string } | { op: "deleteWhere"; g: number };

const idArb = fc.constantFrom("a", "b", "c", "d");
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("upsert" as const), id: idArb, word: fc.constantFrom(...WORDS), g: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant("patch" as const), id: idArb, n: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ op: fc.constant("delete" as const), id: idArb }),
  fc.record({ op: fc.constant("deleteWhere" as const), g: fc.integer({ min: 0, max: 2 }) }),
);

describe("write order of setMetadata and delete({filter}) among concurrent writes", () => {
  it("any batch of concurrent upserts, patches and deletes leaves a live state that log replay rebuilds exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 30 }), fc.constantFrom("always" as const, "batch" as const), async (ops, durability) => {
        const t = tempDir("sparsedb-write-order-");
        const opts = { encoder: wordEncoder(), durability, memtableMaxDocs: 3, autoMerge: false };
        let c = await CollectionStore.open(t.dir, { ...opts, create: true });
        try {
          await c.upsert([{ id: "a", text: "alpha", metadata: { g: 0 } }, { id: "b", text: "beta", metadata: { g: 1 } }]);
          const settled = await Promise.allSettled(
            ops.map((o) => {
              if (o.op === "upsert") return c.upsert([{ id: o.id, text: o.word, metadata: { g: o.g } }]);
              if (o.op === "patch") return c.setMetadata(o.id, { n: o.n });
              if (o.op === "delete") return c.delete([o.id]);
              return c.deleteByFilter({ g: o.g });
            }),
          );
          for (const s of settled) if (s.status === "rejected") expect(s.reason).toMatchObject({ code: "NOT_FOUND" });
          const ids = ["a", "b", "c", "d"];
          const live = await c.getMany(ids);
          await c.sync(); // (batch: the log's records on disk before the copy)
          const copy = `${t.dir}-crash`;
          cpSync(t.dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
          await c.close();
          c = await CollectionStore.open(copy, { ...opts, encoder: wordEncoder() });
          const replayed = await c.getMany(ids);
          expect(replayed.map((d) => d && { id: d.id, metadata: d.metadata, text: d.text, terms: [...d.vector.terms] })).toEqual(
            live.map((d) => d && { id: d.id, metadata: d.metadata, text: d.text, terms: [...d.vector.terms] }),
          );
        } finally {
          await c.close().catch(() => undefined);
          t.cleanup();
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it("a patch racing an upsert of the same id lands wholly before it or wholly after it", async () => {
    const t = tempDir("sparsedb-write-race-");
    const c = await CollectionStore.open(t.dir, { encoder: wordEncoder(), create: true });
    try {
      for (let round = 0; round < 20; round++) {
        await c.upsert([{ id: "a", text: "alpha", metadata: { v: 1 } }]);
        await Promise.all([c.upsert([{ id: "a", text: "beta", metadata: { v: 2 } }]), c.setMetadata("a", { p: round })]);
        const got = await c.get("a");
        // Patch after the upsert: {v: 2, p}; patch before it (then replaced): {v: 2}. Never the old version patched.
        expect([{ v: 2, p: round }, { v: 2 }]).toContainEqual(got!.metadata);
        expect(got!.text).toBe("beta");
      }
    } finally {
      await c.close();
      t.cleanup();
    }
  });

  it("a write issued before a patch or a delete by filter is seen by it, even while its fsync is still running", async () => {
    const t = tempDir("sparsedb-write-seen-");
    const c = await CollectionStore.open(t.dir, { durability: "always", create: true });
    const turn = () => new Promise((r) => setImmediate(r));
    try {
      for (let round = 0; round < 10; round++) {
        await c.upsert([{ id: "a", vector: { terms: [1], weights: [1] }, metadata: { v: 1 } }]);
        // The upsert's record is in the log's queue after one turn; it is applied after its fsync.
        const upsert = c.upsert([{ id: "a", vector: { terms: [2], weights: [1] }, metadata: { v: 2 } }]);
        await turn();
        await c.setMetadata("a", { p: round });
        await upsert;
        expect(await c.get("a")).toMatchObject({ metadata: { v: 2, p: round }, vector: { terms: Uint32Array.of(2) } });

        const another = c.upsert([{ id: `x${round}`, vector: { terms: [3], weights: [1] }, metadata: { gone: true } }]);
        await turn();
        expect(await c.deleteByFilter({ gone: true })).toBe(1);
        await another;
        expect(await c.get(`x${round}`)).toBeNull();
      }
    } finally {
      await c.close();
      t.cleanup();
    }
  });
});
