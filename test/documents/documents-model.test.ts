import { cpSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { compileFilter, type Filter } from "../../engine/filter.js";
import { pickFields } from "../../engine/include-fields.js";
import { mergeMetadata } from "../../engine/collection/metadata-patch.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { ReferenceModel } from "../collection/reference-model.js";
import { tempDir } from "../collection/temp-dir.js";
import { WORDS, WORD_VOCAB, wordEncoder, wordVector } from "./word-encoder.js";

/**
 * Stored texts and the document operations (getMany, count(filter), delete({filter}),
 * setMetadata) against a plain Map model, through memtables, flushes, merges, reopens and
 * crashes (a copy of the files as they are, opened anew: log replay).
 */
const vectorArb = fc
  .uniqueArray(fc.integer({ min: 0, max: WORD_VOCAB - 1 }), { minLength: 1, maxLength: 5 })
  .chain((terms) => fc.array(fc.float({ min: Math.fround(0.01), max: 5, noNaN: true }), { minLength: terms.length, maxLength: terms.length }).map((w) => SparseVector.fromArrays(terms, w, { vocabSize: WORD_VOCAB })));
// Texts of known words plus some multi-byte characters, so byte and UTF-16 offsets differ.
const textArb = fc
  .array(fc.oneof(fc.constantFrom(...WORDS), fc.constantFrom("é", "日本", "🙂", "x")), { minLength: 1, maxLength: 6 })
  .map((ws) => ws.join(" "))
  .filter((t) => wordVector(t).nnz > 0);
const idArb = fc.integer({ min: 0, max: 11 }).map((i) => `doc-${i}`);
const metaArb = fc.oneof(fc.constant(undefined), fc.record({ g: fc.integer({ min: 0, max: 2 }), s: fc.string({ maxLength: 3 }) }, { requiredKeys: ["g"] }));
const patchArb = fc.record({ g: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant(null)), t: fc.oneof(fc.boolean(), fc.constant(null)) }, { requiredKeys: [] });
const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  fc.integer({ min: 0, max: 2 }).map((g) => ({ g })),
  fc.constant({ t: true }),
  fc.constant({ not: { g: 0 } }),
);
const includeArb = fc.record({ text: fc.boolean(), metadata: fc.oneof(fc.boolean(), fc.constant(["g"] as string[]), fc.constant(["s", "t", "nope"] as string[])) }, { requiredKeys: [] });

type Doc = { id: string; metadata: Record<string, unknown> | undefined } & ({ text: string } | { vector: SparseVector });
type Op =
  | { op: "upsert"; docs: Doc[] }
  | { op: "delete"; ids: string[] }
  | { op: "deleteWhere"; filter: Filter }
  | { op: "setMetadata"; id: string; patch: Record<string, unknown> }
  | { op: "flush" }
  | { op: "merge" }
  | { op: "reopen" }
  | { op: "crash" }
  | { op: "count"; filter: Filter | undefined }
  | { op: "search"; query: SparseVector; k: number; filter: Filter | undefined; include: { text?: boolean; metadata?: boolean | string[] } };

const docArb: fc.Arbitrary<Doc> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ id: idArb, text: textArb, metadata: metaArb }) },
  { weight: 1, arbitrary: fc.record({ id: idArb, vector: vectorArb, metadata: metaArb }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.array(docArb, { minLength: 1, maxLength: 4 }).map((docs) => ({ op: "upsert" as const, docs })) },
  { weight: 2, arbitrary: fc.array(idArb, { minLength: 1, maxLength: 3 }).map((ids) => ({ op: "delete" as const, ids })) },
  { weight: 1, arbitrary: filterArb.map((filter) => ({ op: "deleteWhere" as const, filter })) },
  { weight: 4, arbitrary: fc.record({ id: idArb, patch: patchArb }).map((o) => ({ op: "setMetadata" as const, ...o })) },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "merge" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "crash" as const }) },
  { weight: 2, arbitrary: fc.option(filterArb, { nil: undefined }).map((filter) => ({ op: "count" as const, filter })) },
  {
    weight: 3,
    arbitrary: fc.record({ query: vectorArb, k: fc.integer({ min: 1, max: 8 }), filter: fc.option(filterArb, { nil: undefined }), include: includeArb }).map((q) => ({ op: "search" as const, ...q })),
  },
);

/** The model: the reference model's vectors and metadata, plus each document's stored text. */
class DocumentsModel extends ReferenceModel {
  readonly texts = new Map<string, string | null>();

  put(d: Doc, storeText: boolean): void {
    const text = "text" in d ? d.text : null;
    this.upsert(d.id, "text" in d ? wordVector(d.text) : d.vector, d.metadata);
    this.texts.set(d.id, storeText ? text : null);
  }

  override delete(id: string): boolean {
    this.texts.delete(id);
    return super.delete(id);
  }

  matching(filter: Filter | undefined): string[] {
    const accept = filter === undefined ? () => true : compileFilter(filter);
    return [...this.docs].filter(([, d]) => accept(d.metadata)).map(([id]) => id);
  }
}

async function checkAll(c: CollectionStore, model: DocumentsModel): Promise<void> {
  expect(c.count()).toBe(model.docs.size);
  const ids = Array.from({ length: 12 }, (_, i) => `doc-${i}`);
  const got = await c.getMany([...ids, "doc-3"]);
  expect(got).toHaveLength(13);
  [...ids, "doc-3"].forEach((id, i) => {
    const want = model.docs.get(id);
    const doc = got[i]!;
    if (want === undefined) return expect(doc, id).toBeNull();
    expect(doc!.id).toBe(id);
    expect(doc!.vector.equals(want.vector), `${id} vector`).toBe(true);
    expect(doc!.metadata, `${id} metadata`).toEqual(want.metadata);
    expect(doc!.text, `${id} text`).toBe(model.texts.get(id) ?? null);
  });
}

describe("stored texts and document operations against a Map model", () => {
  it("any sequence of text/vector upserts, setMetadata, deletes by id and filter, flushes, merges, reopens and crashes agrees with the model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.boolean(), fc.constantFrom("always" as const, "batch" as const), async (ops, storeText, durability) => {
        const t = tempDir("sparsedb-documents-");
        let dir = t.dir;
        let crashes = 0;
        const opts = { durability, memtableMaxDocs: 3, mergePolicy: { floorDocs: 2, mergeFactor: 2 }, storeText };
        const open = (create = false) => CollectionStore.open(dir, { ...opts, encoder: wordEncoder(), create });
        let c = await open(true);
        const model = new DocumentsModel();
        try {
          for (const o of ops) {
            if (o.op === "upsert") {
              await c.upsert(o.docs);
              for (const d of o.docs) model.put(d, storeText);
            } else if (o.op === "delete") {
              expect(await c.delete(o.ids)).toBe(new Set(o.ids.filter((id) => model.docs.has(id))).size);
              for (const id of o.ids) model.delete(id);
            } else if (o.op === "deleteWhere") {
              const ids = model.matching(o.filter);
              expect(await c.deleteByFilter(o.filter)).toBe(ids.length);
              for (const id of ids) model.delete(id);
            } else if (o.op === "setMetadata") {
              const current = model.docs.get(o.id);
              if (current === undefined) {
                await expect(c.setMetadata(o.id, o.patch)).rejects.toMatchObject({ code: "NOT_FOUND" });
              } else {
                await c.setMetadata(o.id, o.patch);
                current.metadata = mergeMetadata(current.metadata, o.patch);
              }
            } else if (o.op === "flush") await c.flush();
            else if (o.op === "merge") await c.forceMerge();
            else if (o.op === "reopen" || (o.op === "crash" && durability !== "always")) {
              await c.close();
              c = await open();
            } else if (o.op === "crash") {
              const copy = `${dir}-${++crashes}`;
              cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
              await c.close();
              dir = copy;
              c = await open();
            } else if (o.op === "count") {
              expect(c.count(o.filter)).toBe(model.matching(o.filter).length);
            } else {
              const accept = o.filter === undefined ? undefined : compileFilter(o.filter);
              const want = model.topK(o.query, o.k, accept);
              const hits = await c.search({ vector: o.query, k: o.k, filter: o.filter, include: o.include });
              expect(hits.map((h) => [h.id, h.score])).toEqual(want.map((h) => [h.id, h.score]));
              for (const h of hits) {
                const fields = o.include.metadata ?? true;
                if (fields === false) expect("metadata" in h).toBe(false);
                else expect(h.metadata).toEqual(pickFields(model.docs.get(h.id)!.metadata, fields));
                const text = model.texts.get(h.id) ?? null;
                if (o.include.text === true && text !== null) expect(h.text).toBe(text);
                else expect("text" in h).toBe(false);
              }
            }
          }
          await checkAll(c, model);
          await c.close();
          c = await open();
          await checkAll(c, model);
          await c.forceMerge();
          await checkAll(c, model);
        } finally {
          await c.close().catch(() => undefined);
          t.cleanup();
        }
      }),
      { numRuns: 30 },
    );
  }, 180_000);
});
