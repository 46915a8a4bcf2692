import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { nodeFileSystem } from "../../storage/file-system.js";
import { FaultInjectingFileSystem, type FaultKind, type FaultOperation } from "../../storage/fault-injecting-file-system.js";
import { ReferenceModel } from "./reference-model.js";
import { tempDir } from "./temp-dir.js";

const vec = (i: number): SparseVector => SparseVector.fromArrays([i % 11, 11 + (i % 5)], [1 + (i % 13) / 4, 0.5 + (i % 3)]);

type Op = { op: "upsert"; ids: number[] } | { op: "delete"; ids: number[] } | { op: "flush" } | { op: "merge" } | { op: "fault"; fop: FaultOperation; kind: FaultKind; after: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }).map((ids) => ({ op: "upsert" as const, ids })) },
  { weight: 2, arbitrary: fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }).map((ids) => ({ op: "delete" as const, ids })) },
  { weight: 2, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "merge" as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      fop: fc.constantFrom<FaultOperation>("write", "sync", "open", "rename", "syncDir"),
      kind: fc.constantFrom<FaultKind>("EIO", "ENOSPC", "short-write"),
      after: fc.nat(3),
    }).map((f) => ({ op: "fault" as const, ...f })),
  },
);

describe("injected I/O faults", () => {
  it("reject the failed operation, lose nothing acknowledged, and leave the collection usable", async () => {
    let fired = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const { dir, cleanup } = tempDir();
        const fs = new FaultInjectingFileSystem(nodeFileSystem);
        const model = new ReferenceModel();
        const c = await CollectionStore.open(dir, { create: true, fs, durability: "always", memtableMaxDocs: 5, mergePolicy: { floorDocs: 2, mergeFactor: 2 } });
        try {
          for (const o of ops) {
            if (o.op === "fault") {
              fs.inject({ op: o.fop, kind: o.kind, after: o.after });
              continue;
            }
            try {
              if (o.op === "upsert") {
                await c.upsert(o.ids.map((i) => ({ id: `d${i}`, vector: vec(i), metadata: { i } })));
                for (const i of o.ids) model.upsert(`d${i}`, vec(i), { i });
              } else if (o.op === "delete") {
                await c.delete(o.ids.map((i) => `d${i}`));
                for (const i of o.ids) model.delete(`d${i}`);
              } else if (o.op === "flush") await c.flush();
              else await c.forceMerge();
            } catch (e) {
              expect((e as { code?: string }).code).toBe("IO_ERROR");
            }
            // Whatever failed, reads answer from acknowledged state.
            expect(c.count()).toBe(model.docs.size);
          }
          fired += fs.fired;
          fs.clear();
          await c.idle();
          await c.close().catch(() => undefined);
        } finally {
          fs.clear();
        }
        try {
          const reopened = await CollectionStore.open(dir);
          expect(reopened.count()).toBe(model.docs.size);
          for (const [id, d] of model.docs) {
            const got = await reopened.get(id);
            expect(got?.vector.equals(d.vector)).toBe(true);
            expect(got?.metadata).toEqual(d.metadata);
          }
          const q = SparseVector.fromArrays([0, 3, 12], [1, 1, 1]);
          expect((await reopened.search({ vector: q, k: 5 })).map((h) => h.score)).toEqual(model.topK(q, 5).map((h) => h.score));
          await reopened.close();
        } finally {
          cleanup();
        }
      }),
      { numRuns: 40 },
    );
    expect(fired).toBeGreaterThan(5); // the faults really happened
  }, 120_000);
});
