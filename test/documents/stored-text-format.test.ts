import { cpSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { NO_LENGTH } from "../../engine/collection/corpus-statistics.js";
import { verifyCollectionFiles } from "../../engine/collection/verify-collection.js";
import {
  decodeUpsert,
  decodeUpsertRecord,
  encodeUpsert,
  encodeUpsertRecord,
  RECORD_UPSERT,
  RECORD_UPSERT_TEXT,
  RECORD_UPSERT_V1,
  type StoredDoc,
} from "../../engine/collection/wal-records.js";
import { readdirSync } from "node:fs";
import { nodeFileSystem } from "../../storage/file-system.js";
import { readSegmentFile } from "../../storage/segment-file.js";
import { packValue } from "../../storage/msgpack.js";
import { tempDir } from "../collection/temp-dir.js";
import { wordEncoder } from "./word-encoder.js";

const doc = (id: string, text: string | null, meta: unknown = null): StoredDoc => ({
  id,
  terms: Uint32Array.of(1, 4),
  weights: Float32Array.of(0.5, 2),
  meta: meta === null ? null : Uint8Array.from(packValue(meta)),
  length: NO_LENGTH,
  text,
});

describe("upsert log records with texts (type 4)", () => {
  it("round-trip texts (multi-byte included), none and metadata side by side", () => {
    const docs = [doc("a", "héllo 日本 🙂"), doc("b", null, { g: 1 }), doc("c", "x".repeat(70_000), { g: 2 })];
    const { type, payload } = encodeUpsertRecord(docs);
    expect(type).toBe(RECORD_UPSERT_TEXT);
    expect(decodeUpsertRecord(type, payload)).toEqual(docs);
  });

  it("a record without any text is the type 3 older versions read", () => {
    const docs = [doc("a", null), doc("b", null, { g: 1 })];
    const { type, payload } = encodeUpsertRecord(docs);
    expect(type).toBe(RECORD_UPSERT);
    expect(payload).toEqual(encodeUpsert(docs));
    expect(decodeUpsert(payload).map((d) => d.id)).toEqual(["a", "b"]);
  });

  it("older records (types 1 and 3) still decode, as documents without text", () => {
    const v3 = encodeUpsert([doc("a", null, { g: 1 })]);
    expect(decodeUpsertRecord(RECORD_UPSERT, v3)[0]!.text ?? null).toBeNull();
    // Type 1: type 3 without the u32 length (bytes 4 + 4+1 + 4 + 16 = 29..33 are the length).
    const v1 = new Uint8Array([...v3.subarray(0, 29), ...v3.subarray(33)]);
    expect(decodeUpsertRecord(RECORD_UPSERT_V1, v1)).toMatchObject([{ id: "a", length: NO_LENGTH }]);
  });

  it("a type 4 payload cut short or with a bad text length is CORRUPTION, not a crash", () => {
    const { payload } = encodeUpsertRecord([doc("a", "some text")]);
    expect(() => decodeUpsertRecord(RECORD_UPSERT_TEXT, payload.subarray(0, payload.length - 3))).toThrow(expect.objectContaining({ code: "CORRUPTION" }));
    const bad = payload.slice();
    new DataView(bad.buffer).setUint32(payload.length - 4 - 9, 1000, true);
    expect(() => decodeUpsertRecord(RECORD_UPSERT_TEXT, bad)).toThrow(expect.objectContaining({ code: "CORRUPTION" }));
  });
});

describe("stored texts on disk", () => {
  it("a crash keeps acknowledged texts, metadata patches and deletes by filter; the files verify; segments and merges keep them", async () => {
    const t = tempDir("sparsedb-text-crash-");
    const opts = { encoder: wordEncoder(), memtableMaxDocs: 1000 };
    let c = await CollectionStore.open(t.dir, { ...opts, create: true });
    try {
      expect(c.stats().storeText).toBe(true);
      await c.upsert([
        { id: "a", text: "alpha beta 日本", metadata: { lang: "en", n: 1 } },
        { id: "b", text: "gamma", metadata: { lang: "fr" } },
        { id: "v", vector: { terms: [2], weights: [1] }, metadata: { lang: "en" } },
      ]);
      await c.flush(); // a and b now in a segment with docs.text
      await c.upsert([{ id: "c", text: "delta 🙂", metadata: { lang: "fr" } }]);
      await c.setMetadata("a", { n: null, reviewed: true });
      expect(await c.deleteByFilter({ lang: "fr" })).toBe(2);
      // The files as a crash leaves them: the log holds the patch and the deletes.
      const copy = `${t.dir}-crash`;
      cpSync(t.dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
      await c.close();
      c = await CollectionStore.open(copy, { ...opts, encoder: wordEncoder() });
      const check = await verifyCollectionFiles(nodeFileSystem, copy);
      expect(check.problems).toEqual([]);
      for (let round = 0; round < 2; round++) {
        expect(await c.get("a")).toMatchObject({ text: "alpha beta 日本", metadata: { lang: "en", reviewed: true } });
        expect((await c.get("a"))!.metadata).not.toHaveProperty("n");
        expect((await c.get("v"))!.text).toBeNull();
        expect(await c.getMany(["b", "c"])).toEqual([null, null]);
        expect(c.count()).toBe(2);
        await c.forceMerge();
      }
      expect((await verifyCollectionFiles(nodeFileSystem, copy)).problems).toEqual([]);
    } finally {
      await c.close().catch(() => undefined);
      t.cleanup();
    }
  });

  it("storeText false keeps no text (and writes type 3 records); vectors-only collections default to it", async () => {
    const t = tempDir("sparsedb-text-off-");
    let c = await CollectionStore.open(t.dir, { encoder: wordEncoder(), storeText: false, create: true });
    try {
      expect(c.stats().storeText).toBe(false);
      await c.upsert([{ id: "a", text: "alpha" }]);
      expect((await c.get("a"))!.text).toBeNull();
      await c.flush();
      expect((await c.get("a"))!.text).toBeNull();
      await c.close();
      c = await CollectionStore.open(t.dir, {});
      expect(c.stats().storeText).toBe(false);
      await expect(CollectionStore.open(`${t.dir}-x`, { storeText: "yes" as never, create: true })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    } finally {
      await c.close().catch(() => undefined);
      t.cleanup();
    }
  });

  it("bulk loads keep texts; a segment has docs.text only when some document has a text", async () => {
    const t = tempDir("sparsedb-text-bulk-");
    let c = await CollectionStore.open(t.dir, { encoder: wordEncoder(), create: true });
    try {
      async function* docs() {
        for (let i = 0; i < 10; i++) yield { id: `t${i}`, text: `alpha ${"日".repeat(i)}`, metadata: { i } };
        for (let i = 0; i < 10; i++) yield { id: `v${i}`, vector: { terms: [3], weights: [1 + i] } };
      }
      expect(await c.bulkLoad(docs(), { segmentDocs: 10 })).toBe(20);
      await c.close();
      c = await CollectionStore.open(t.dir, { encoder: wordEncoder() });
      expect((await c.getMany(["t0", "t9", "v5"])).map((d) => d?.text ?? null)).toEqual(["alpha ", `alpha ${"日".repeat(9)}`, null]);
      const names: string[][] = [];
      for (const f of readdirSync(t.dir).filter((f) => f.endsWith(".sdb")).sort()) {
        const { sections } = await readSegmentFile(nodeFileSystem, `${t.dir}/${f}`);
        names.push(Object.keys(sections.arrays).filter((k) => k.startsWith("docs.text")).sort());
      }
      expect(names).toEqual([["docs.text", "docs.textEnds"], []]);
    } finally {
      await c.close().catch(() => undefined);
      t.cleanup();
    }
  });

  it("an empty text is not kept", async () => {
    const t = tempDir("sparsedb-text-empty-");
    const c = await CollectionStore.open(t.dir, { encoder: wordEncoder(), create: true });
    try {
      await c.upsert([{ id: "e", text: "" }]);
      expect((await c.get("e"))!.text).toBeNull();
    } finally {
      await c.close();
      t.cleanup();
    }
  });
});
