import fc from "fast-check";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { NO_LENGTH } from "../../engine/collection/corpus-statistics.js";
import { verifyCollectionFiles } from "../../engine/collection/verify-collection.js";
import { decodeUpsertRecord, encodeUpsertRecord, RECORD_UPSERT, RECORD_UPSERT_EXTRAS, RECORD_UPSERT_TEXT, type StoredDoc } from "../../engine/collection/wal-records.js";
import { packValue } from "../../storage/msgpack.js";
import { nodeFileSystem } from "../../storage/file-system.js";
import { readSegmentFile } from "../../storage/segment-file.js";
import { tempDir } from "../collection/temp-dir.js";

const storedDocArb: fc.Arbitrary<StoredDoc> = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 8 }),
    terms: fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { maxLength: 5 }).map((t) => Uint32Array.from(t.sort((a, b) => a - b))),
    meta: fc.option(fc.record({ g: fc.integer() }).map((m) => Uint8Array.from(packValue(m))), { nil: null }),
    length: fc.oneof(fc.constant(NO_LENGTH), fc.nat(1000)),
    text: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    dense: fc.option(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 6 }).map((a) => Float32Array.from(a)), { nil: null }),
  })
  .map((d) => ({ ...d, weights: Float32Array.from(d.terms, (_, i) => i + 0.5) }));

describe("upsert log records with dense vectors (type 5)", () => {
  it("decode(encode(docs)) = docs for any mix of texts, dense vectors and metadata; type 5 only when some document has a dense vector", () => {
    fc.assert(
      fc.property(fc.array(storedDocArb, { minLength: 1, maxLength: 5 }), (docs) => {
        const { type, payload } = encodeUpsertRecord(docs);
        const withDense = docs.some((d) => d.dense !== null);
        const withText = docs.some((d) => d.text !== null);
        expect(type).toBe(withDense ? RECORD_UPSERT_EXTRAS : withText ? RECORD_UPSERT_TEXT : RECORD_UPSERT);
        const back = decodeUpsertRecord(type, payload);
        expect(back.map((d) => ({ ...d, dense: d.dense ?? null, text: d.text ?? null }))).toEqual(docs);
      }),
    );
  });

  it("a type 5 payload cut short, or with unknown flags, is CORRUPTION", () => {
    const { payload } = encodeUpsertRecord([{ id: "a", terms: Uint32Array.of(1), weights: Float32Array.of(1), meta: null, length: NO_LENGTH, dense: Float32Array.of(1, 2, 3) }]);
    expect(() => decodeUpsertRecord(RECORD_UPSERT_EXTRAS, payload.subarray(0, payload.length - 2))).toThrow(expect.objectContaining({ code: "CORRUPTION" }));
    const bad = payload.slice();
    bad[payload.length - 17] = 0x80; // the flags byte (before u32 dims and 3 floats)
    expect(() => decodeUpsertRecord(RECORD_UPSERT_EXTRAS, bad)).toThrow(expect.objectContaining({ code: "CORRUPTION" }));
  });
});

describe("dense vectors in segments", () => {
  const dense = { dims: 2, metric: "dot" as const, index: "flat" as const };

  it("a segment holds dense.docs and dense.vectors for the documents that have one; checksums verify; a reopen reads them back", async () => {
    const t = tempDir();
    try {
      let c = await CollectionStore.open(t.dir, { create: true, dense });
      await c.upsert([
        { id: "a", vector: { terms: [1], weights: [1] }, dense: [1, 2] },
        { id: "b", vector: { terms: [2], weights: [1] } },
        { id: "c", dense: Float32Array.of(-3, 0.5) },
      ]);
      await c.flush();
      const segs = readdirSync(t.dir).filter((f) => f.endsWith(".sdb"));
      expect(segs).toHaveLength(1);
      const file = (await readSegmentFile(nodeFileSystem, `${t.dir}/${segs[0]}`)).sections;
      expect(Array.from(file.arrays["dense.docs"] as Uint32Array)).toEqual([0, 2]);
      expect(Array.from(file.arrays["dense.vectors"] as Float32Array)).toEqual([1, 2, -3, 0.5]);
      expect(file.meta["dense.dims"]).toBe(2);
      expect((await verifyCollectionFiles(nodeFileSystem, t.dir)).problems).toEqual([]);
      await c.close();
      c = await CollectionStore.open(t.dir, { dense });
      expect(Array.from((await c.get("a"))!.dense!)).toEqual([1, 2]);
      expect((await c.get("b"))!.dense).toBeUndefined();
      expect(Array.from((await c.get("c"))!.dense!)).toEqual([-3, 0.5]);
      expect((await c.get("c"))!.vector.nnz).toBe(0);
      expect(c.stats()).toMatchObject({ dense, denseDocs: 2 });
      await c.delete(["a"]);
      expect(c.stats().denseDocs).toBe(1);
      await c.close();
    } finally {
      t.cleanup();
    }
  });

  it("bulk load carries dense vectors into segments, replacing older versions", async () => {
    const t = tempDir();
    try {
      const c = await CollectionStore.open(t.dir, { create: true, dense });
      await c.upsert([{ id: "a", dense: [9, 9] }]);
      async function* docs() {
        yield { id: "a", dense: [1, 1] };
        yield { id: "b", vector: { terms: [3], weights: [2] }, dense: [0, 1] };
      }
      expect(await c.bulkLoad(docs(), { segmentDocs: 1 })).toBe(2);
      const hits = await c.search({ dense: [1, 0], k: 5 });
      expect(hits.map((h) => [h.id, h.score])).toEqual([["a", 1], ["b", 0]]);
      await c.close();
    } finally {
      t.cleanup();
    }
  });

  it("setMetadata keeps the dense vector (the new version is logged with it)", async () => {
    const t = tempDir();
    try {
      let c = await CollectionStore.open(t.dir, { create: true, dense });
      await c.upsert([{ id: "a", dense: [1, 2], metadata: { g: 1 } }]);
      await c.flush();
      await c.setMetadata("a", { g: 2 });
      await c.close(); // (close flushes; the crash round trip covers replay)
      c = await CollectionStore.open(t.dir, { dense });
      const a = await c.get("a");
      expect(a!.metadata).toEqual({ g: 2 });
      expect(Array.from(a!.dense!)).toEqual([1, 2]);
      await c.close();
    } finally {
      t.cleanup();
    }
  });
});
