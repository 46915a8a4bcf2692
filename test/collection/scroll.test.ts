import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import type { ScrollPage } from "../../engine/requests.js";
import { decodeCursor, encodeCursor } from "../../engine/scroll-request.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { ReferenceModel } from "./reference-model.js";
import { tempDir } from "./temp-dir.js";

const VOCAB = 16;
const vectorArb = fc
  .uniqueArray(fc.integer({ min: 0, max: VOCAB - 1 }), { minLength: 1, maxLength: 4 })
  .chain((terms) =>
    fc.array(fc.float({ min: Math.fround(0.01), max: 5, noNaN: true }), { minLength: terms.length, maxLength: terms.length }).map((w) => SparseVector.fromArrays(terms, w)),
  );
// Ids over a few code units (astral characters included) so that their order is exercised.
const idArb = fc.array(fc.constantFrom("a", "b", "B", "é", "😀", "0", "-"), { minLength: 1, maxLength: 3 }).map((p) => p.join(""));
const metaArb = fc.oneof(fc.constant(undefined), fc.record({ g: fc.integer({ min: 0, max: 2 }) }));
const docArb = fc.record({ id: idArb, vector: vectorArb, metadata: metaArb });

type Write =
  | { op: "upsert"; docs: { id: string; vector: SparseVector; metadata: Record<string, unknown> | undefined }[] }
  | { op: "delete"; ids: string[] }
  | { op: "flush" }
  | { op: "merge" };
type Op = Write | { op: "reopen" } | { op: "scroll"; limits: number[]; filtered: boolean; withVectors: boolean; between: Write[][] };

const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 6, arbitrary: fc.array(docArb, { minLength: 1, maxLength: 5 }).map((docs) => ({ op: "upsert" as const, docs })) },
  { weight: 3, arbitrary: fc.array(idArb, { minLength: 1, maxLength: 3 }).map((ids) => ({ op: "delete" as const, ids })) },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "merge" as const }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: writeArb },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      limits: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
      filtered: fc.boolean(),
      withVectors: fc.boolean(),
      // Writes between pages (page i is followed by between[i], when present).
      between: fc.array(fc.array(writeArb, { maxLength: 2 }), { maxLength: 6 }),
    }).map((s) => ({ op: "scroll" as const, ...s })),
  },
);

const inG1 = (m: unknown) => (m as { g?: number } | null)?.g === 1;

async function applyWrite(c: CollectionStore, model: ReferenceModel, w: Write): Promise<void> {
  if (w.op === "upsert") {
    await c.upsert(w.docs);
    for (const d of w.docs) model.upsert(d.id, d.vector, d.metadata);
  } else if (w.op === "delete") {
    await c.delete(w.ids);
    for (const id of w.ids) model.delete(id);
  } else if (w.op === "flush") await c.flush();
  else await c.forceMerge();
}

/** A page must be exactly the model's next `limit` live (accepted) ids after the cursor, at the time it is read. */
function expectPage(page: ScrollPage, model: ReferenceModel, after: string | undefined, limit: number, filtered: boolean, withVectors: boolean): void {
  const ids = [...model.docs.keys()].filter((id) => (after === undefined || id > after) && (!filtered || inG1(model.docs.get(id)!.metadata))).sort();
  const want = ids.slice(0, limit);
  expect(page.documents.map((d) => d.id)).toEqual(want);
  for (const d of page.documents) {
    const m = model.docs.get(d.id)!;
    expect(d.metadata).toEqual(m.metadata);
    if (withVectors) {
      expect([...d.vector!.terms]).toEqual([...m.vector.terms]);
      expect([...d.vector!.weights]).toEqual([...m.vector.weights]);
    } else expect(d.vector).toBeUndefined();
  }
  if (ids.length > limit) expect(decodeCursor(page.nextCursor)).toBe(want[want.length - 1]);
  else expect(page.nextCursor).toBeNull();
}

describe("scroll against an in-memory model", () => {
  it("every page is the model's next live documents after the cursor, across flushes, merges, reopens and writes between pages", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), fc.boolean(), async (ops, autoMerge) => {
        const t = tempDir();
        const opts = { memtableMaxDocs: 3, autoMerge, mergePolicy: { floorDocs: 2, mergeFactor: 2 } };
        let c = await CollectionStore.open(t.dir, { ...opts, create: true });
        const model = new ReferenceModel();
        try {
          for (const o of ops) {
            if (o.op === "reopen") {
              await c.close();
              c = await CollectionStore.open(t.dir, opts);
            } else if (o.op === "scroll") {
              let cursor: string | undefined, after: string | undefined;
              const seen = new Set<string>();
              let quiet = true;
              // Bounded: ids are at most 3 of 7 units, limit >= 1.
              for (let page = 0; page < 500; page++) {
                const limit = o.limits[page % o.limits.length]!;
                const got = c.scroll({ limit, cursor, filter: o.filtered ? { g: 1 } : undefined, withVectors: o.withVectors });
                expectPage(got, model, after, limit, o.filtered, o.withVectors);
                for (const d of got.documents) {
                  expect(seen.has(d.id), `${d.id} seen twice`).toBe(false);
                  seen.add(d.id);
                }
                if (got.nextCursor === null) break;
                cursor = got.nextCursor;
                after = got.documents[got.documents.length - 1]!.id;
                for (const w of o.between[page] ?? []) {
                  quiet = false;
                  await applyWrite(c, model, w);
                }
              }
              if (quiet) {
                // Without writes in between, the pages together are exactly the live (accepted) documents.
                const live = [...model.docs.keys()].filter((id) => !o.filtered || inG1(model.docs.get(id)!.metadata));
                expect([...seen].sort()).toEqual(live.sort());
              }
            } else await applyWrite(c, model, o);
          }
        } finally {
          await c.close();
          t.cleanup();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("a cursor is opaque ASCII and gives back any id exactly", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), minLength: 1, maxLength: 40 }).filter((id) => !/\p{Cs}/u.test(id)), (id) => {
        // Ids are well-formed UTF-16 (checkId refuses lone surrogates), so cursors need only carry those.
        const cursor = encodeCursor(id);
        expect(cursor).toMatch(/^[A-Za-z0-9._-]+$/);
        expect(decodeCursor(cursor)).toBe(id);
      }),
    );
  });
});
