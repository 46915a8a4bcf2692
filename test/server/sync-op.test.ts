import { afterEach, describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { NodeFileSystem, type OpenMode, type WritableFile } from "../../storage/file-system.js";
import { createTestEncoder } from "../database/fake-collection.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";

let served: ServedDatabase | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
});

describe("sync over the wire", () => {
  it("collection.sync() and client.sync() return once acknowledged writes are fsynced in the server's log", async () => {
    let walSyncs = 0;
    class CountingFileSystem extends NodeFileSystem {
      override async open(p: string, m: OpenMode): Promise<WritableFile> {
        const f = await super.open(p, m);
        const sync = f.sync.bind(f);
        f.sync = () => (p.endsWith(".log") && walSyncs++, sync());
        return f;
      }
    }
    // The real storage (this is about its log), whatever SPARSEDB_TEST_FAKE_STORAGE says.
    served = await serveDatabase({}, { openCollection: (dir, o) => CollectionStore.open(dir, o), createEncoder: createTestEncoder, defaultEncoder: { kind: "bm25" }, fs: new CountingFileSystem() });
    const client = await served.client();
    const c = await client.createCollection("b", { durability: "batch", batchIntervalMs: 3_600_000 });
    await c.upsert([{ id: "a", vector: { 1: 1 } }]);
    const before = walSyncs;
    await c.upsert([{ id: "b", vector: { 2: 1 } }]);
    expect(walSyncs).toBe(before);
    await c.sync();
    expect(walSyncs).toBe(before + 1);
    await c.upsert([{ id: "c", vector: { 3: 1 } }]);
    await client.sync();
    expect(walSyncs).toBe(before + 2);
    await expect(client.request("sync", { collection: "missing" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
