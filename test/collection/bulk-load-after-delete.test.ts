import { cpSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { tempDir } from "./temp-dir.js";

async function* stream<T>(xs: T[]): AsyncGenerator<T> {
  yield* xs;
}

describe("a bulk load after a logged delete of the same id", () => {
  // The delete's log record is older than the bulk segment; replaying it at the next open must
  // not delete the loaded document (found by the cosine property test).
  for (const how of ["reopen", "crash"] as const) {
    it(`keeps the loaded document through a ${how}`, async () => {
      const t = tempDir("sparsedb-bulk-delete-");
      const opts = { memtableMaxDocs: 3, autoMerge: false };
      const c = await CollectionStore.open(t.dir, { ...opts, create: true });
      let dir = t.dir;
      try {
        await c.delete(["x", "absent"]);
        await c.flush(); // an empty memtable: nothing to build, the delete stays in the log
        await c.bulkLoad(stream([{ id: "x", vector: SparseVector.fromArrays([1, 4], [1, 2]) }]), { segmentDocs: 2 });
        await c.delete(["other"]);
        expect(c.count()).toBe(1);
        if (how === "crash") {
          dir = `${t.dir}-crash`;
          cpSync(t.dir, dir, { recursive: true, filter: (src) => !src.endsWith("/LOCK") });
        }
      } finally {
        await c.close();
      }
      const again = await CollectionStore.open(dir, opts);
      try {
        expect(again.count()).toBe(1);
        expect((await again.get("x"))!.vector.toTermMap()).toEqual({ 1: 1, 4: 2 });
      } finally {
        await again.close();
        t.cleanup();
      }
    });
  }
});
