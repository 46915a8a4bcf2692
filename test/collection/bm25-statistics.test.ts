import { cpSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { NO_LENGTH } from "../../engine/collection/corpus-statistics.js";
import { decodeUpsert, encodeUpsert, RECORD_UPSERT, RECORD_UPSERT_V1 } from "../../engine/collection/wal-records.js";
import { tempDir } from "./temp-dir.js";

const WORDS = ["river", "sea", "bread", "yeast", "the", "of", "bees", "honey", "light", "a", ".", "glacier"];
const textArb = fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }).map((w) => w.join(" "));
const idArb = fc.integer({ min: 0, max: 9 }).map((i) => `doc-${i}`);
/** Documents given as vectors do not count in the statistics (they have no length). */
const vectorArb = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }).map((t) => SparseVector.fromArrays(t, t.map(() => 1)));
const docArb = fc.record({ id: idArb, body: fc.oneof({ weight: 4, arbitrary: textArb.map((text) => ({ text })) }, { weight: 1, arbitrary: vectorArb.map((vector) => ({ vector })) }) });

type Op =
  | { op: "upsert"; docs: { id: string; body: { text: string } | { vector: SparseVector } }[] }
  | { op: "delete"; ids: string[] }
  | { op: "flush" }
  | { op: "merge" }
  | { op: "reopen" }
  | { op: "crash" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.array(docArb, { minLength: 1, maxLength: 4 }).map((docs) => ({ op: "upsert" as const, docs })) },
  { weight: 3, arbitrary: fc.array(idArb, { minLength: 1, maxLength: 3 }).map((ids) => ({ op: "delete" as const, ids })) },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "merge" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "crash" as const }) },
);

/** The statistics of the model's live text documents, computed from scratch. */
function modelStatistics(enc: Bm25Encoder, live: Map<string, { text: string } | { vector: SparseVector }>) {
  let numDocs = 0, totalLength = 0;
  const df: Record<number, number> = {};
  for (const body of live.values()) {
    if (!("text" in body)) continue;
    const ids = enc.analyze(body.text);
    numDocs++;
    totalLength += ids.length;
    for (const t of new Set(ids)) df[t] = (df[t] ?? 0) + 1;
  }
  return { numDocs, totalLength, df };
}

describe("BM25 statistics as collection state", () => {
  it("equal those of the live documents after any upserts, replacements, deletes, flushes, merges, reopens and crashes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.boolean(), fc.constantFrom("always" as const, "off" as const), async (ops, autoMerge, durability) => {
        const t = tempDir();
        let dir = t.dir;
        let crashes = 0;
        const encoder = new Bm25Encoder({ kind: "bm25", stopwords: "english" });
        const opts = { durability, memtableMaxDocs: 3, autoMerge, mergePolicy: { floorDocs: 2, mergeFactor: 2 }, encoder };
        let c = await CollectionStore.open(dir, { ...opts, create: true });
        const live = new Map<string, { text: string } | { vector: SparseVector }>();
        const check = async () => {
          const want = modelStatistics(encoder, live);
          expect(c.corpusStatistics()).toEqual(want);
          expect(c.stats().corpus).toEqual({ docs: want.numDocs, totalLength: want.totalLength });
          // IDF at query time comes from the live statistics.
          const q = await encoder.encodeQuery("honey glacier bees");
          for (let i = 0; i < q.nnz; i++) {
            const df = want.df[q.terms[i]!] ?? 0;
            expect(q.weights[i]).toBeCloseTo(Math.log(1 + (want.numDocs - df + 0.5) / (df + 0.5)), 5);
          }
        };
        try {
          for (const o of ops) {
            if (o.op === "upsert") {
              await c.upsert(o.docs.map((d) => ({ id: d.id, ...d.body })));
              for (const d of o.docs) live.set(d.id, d.body);
            } else if (o.op === "delete") {
              await c.delete(o.ids);
              for (const id of o.ids) live.delete(id);
            } else if (o.op === "flush") await c.flush();
            else if (o.op === "merge") await c.forceMerge();
            else if (o.op === "reopen" || durability !== "always") {
              // (A crash in "off" may lose what was acknowledged: a crash is simulated only in "always".)
              await c.close();
              c = await CollectionStore.open(dir, opts);
            } else {
              // The files as a crash would leave them now (background flushes and merges
              // included), opened as another collection: the statistics come from replay.
              const copy = `${dir}-${++crashes}`;
              cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
              await c.close();
              dir = copy;
              c = await CollectionStore.open(dir, opts);
            }
            await check();
          }
          await c.idle();
          await check();
        } finally {
          await c.close().catch(() => undefined);
          t.cleanup(); // the crash copies sit beside t.dir, in the same temporary root
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("ingesting the same documents twice leaves the statistics of one copy", async () => {
    const t = tempDir();
    const encoder = new Bm25Encoder({ kind: "bm25" });
    const c = await CollectionStore.open(t.dir, { create: true, encoder, memtableMaxDocs: 2 });
    try {
      const docs = ["honey bees", "the river sea", "bread and yeast"].map((text, i) => ({ id: `d${i}`, text }));
      await c.upsert(docs);
      const once = c.corpusStatistics();
      const query = await encoder.encodeQuery("honey river");
      await c.flush();
      await c.upsert(docs);
      expect(c.corpusStatistics()).toEqual(once);
      expect(once.numDocs).toBe(3);
      expect(await encoder.encodeQuery("honey river")).toEqual(query);
      await c.delete(["d0"]);
      const honey = encoder.analyze("honey")[0]!;
      expect(c.corpusStatistics().df[honey]).toBeUndefined();
      expect(c.corpusStatistics().numDocs).toBe(2);
    } finally {
      await c.close();
      t.cleanup();
    }
  });
});

describe("upsert log records", () => {
  it("carry each document's length, and records of the older layout (type 1) read as length none", () => {
    const doc = { id: "é1", terms: Uint32Array.from([3, 9]), weights: Float32Array.from([0.5, 2]), meta: Uint8Array.from([0xc0]), length: 7 };
    expect(decodeUpsert(encodeUpsert([doc, { ...doc, id: "v", length: NO_LENGTH, meta: null }]))).toEqual([doc, { ...doc, id: "v", length: NO_LENGTH, meta: null }]);
    // Type 1: the same layout without the u32 length.
    const id = new TextEncoder().encode(doc.id);
    const v1 = new DataView(new ArrayBuffer(4 + 4 + id.length + 4 + 16 + 4 + 1));
    let o = 0;
    const u32 = (x: number) => {
      v1.setUint32(o, x, true);
      o += 4;
    };
    const f32 = (x: number) => {
      v1.setFloat32(o, x, true);
      o += 4;
    };
    u32(1);
    u32(id.length);
    new Uint8Array(v1.buffer).set(id, o);
    o += id.length;
    u32(2);
    u32(3);
    u32(9);
    f32(0.5);
    f32(2);
    u32(1);
    v1.setUint8(o, 0xc0);
    expect(decodeUpsert(new Uint8Array(v1.buffer), false)).toEqual([{ ...doc, length: NO_LENGTH }]);
    expect(RECORD_UPSERT).not.toBe(RECORD_UPSERT_V1);
  });
});
