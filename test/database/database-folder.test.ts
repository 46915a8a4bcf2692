import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Database, type DatabaseOptions } from "../../engine/database.js";
import { decodeCatalog } from "../../engine/database/catalog.js";
import { FaultInjectingFileSystem } from "../../storage/fault-injecting-file-system.js";
import { nodeFileSystem, NodeFileSystem, type OpenMode, type WritableFile } from "../../storage/file-system.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { createTestEncoder } from "./fake-collection.js";

/** The real storage, whatever SPARSEDB_TEST_FAKE_STORAGE says: these tests are about its files. */
const real: DatabaseOptions = { openCollection: (dir, o) => CollectionStore.open(dir, o), createEncoder: createTestEncoder, defaultEncoder: { kind: "bm25" } };
const backends = async (): Promise<DatabaseOptions> => real;

const roots: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), "sparsedb-dbfolder-"));
  roots.push(d);
  return d;
}
afterEach(() => {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true });
});

const docs = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, vector: { [i % 9]: 1 + i, [20 + (i % 4)]: 0.5 }, metadata: { i } }));

/** A database with collections "main" (30 documents, half flushed) and "other" (1 document). */
async function seed(dir: string): Promise<void> {
  const db = await Database.open(dir, await backends());
  const main = await db.createCollection("main", { memtableMaxDocs: 1000 });
  await main.upsert(docs.slice(0, 15));
  await main.flush();
  await main.upsert(docs.slice(15));
  const other = await db.createCollection("other");
  await other.upsert([{ id: "o", text: "hello there" }]);
  await db.close();
}

/** After a simulated kill: the dead process's lock files are stale (its pid is ours, so remove them as the OS would have freed them). */
function dropStaleLocks(dir: string): void {
  rmSync(join(dir, "sparsedb.lock"), { force: true });
  for (const c of readdirSync(join(dir, "collections"))) rmSync(join(dir, "collections", c, "LOCK"), { force: true });
}

/** Opens `dir` with a file system that "crashes" (every later disk change fails) after `step` disk changes from now. */
async function crashingAt(dir: string, step: number, prepare: (db: Database) => Promise<void>): Promise<{ db: Database; fs: FaultInjectingFileSystem }> {
  const fs = new FaultInjectingFileSystem(nodeFileSystem);
  const db = await Database.open(dir, { ...(await backends()), fs });
  await prepare(db);
  fs.inject({ op: "any", kind: "crash", after: step });
  return { db, fs };
}

async function expectIntact(db: Database, name: "main" | "other"): Promise<void> {
  const c = await db.collection(name);
  if (name === "main") {
    expect(await c.count()).toBe(30);
    expect((await c.get("d20"))?.metadata).toEqual({ i: 20 });
    expect((await c.search({ vector: { 3: 1 }, k: 1 }))[0]!.id).toBe("d21");
  } else expect(await c.count()).toBe(1);
}

describe("database folder crash safety", () => {
  it("a kill at every step of dropCollection leaves the collection whole or gone, never listed-but-broken", async () => {
    const base = join(temp(), "seed");
    await seed(base);
    let outcomes = { whole: 0, gone: 0 };
    for (let step = 0; step < 500; step++) {
      const dir = join(temp(), `s${step}`);
      cpSync(base, dir, { recursive: true });
      const { db, fs } = await crashingAt(dir, step, async (d) => void (await d.collection("main")));
      const result = await db.dropCollection("main").then(() => "ok", (e) => e as Error);
      const crashed = fs.crashed;
      await db.close().catch(() => undefined);
      dropStaleLocks(dir);
      if (!crashed) expect(result).toBe("ok");
      const again = await Database.open(dir, await backends());
      try {
        if (again.listCollections().some((c) => c.name === "main")) {
          expect(result).not.toBe("ok");
          await expectIntact(again, "main");
          outcomes.whole++;
        } else {
          expect(existsSync(join(dir, "collections", "main"))).toBe(false);
          expect(existsSync(join(dir, "encoder-state", "main.json"))).toBe(false);
          await expect(again.collection("main")).rejects.toMatchObject({ code: "NOT_FOUND" });
          expect(await (await again.createCollection("main")).count()).toBe(0); // the name is free again
          outcomes.gone++;
        }
        await expectIntact(again, "other");
      } finally {
        await again.close();
      }
      if (!crashed) break; // the drop ran to completion before reaching this step
    }
    expect(outcomes.whole).toBeGreaterThan(3);
    expect(outcomes.gone).toBeGreaterThan(3);
  }, 120_000);

  it("a kill at every step of createCollection leaves no half-made collection", async () => {
    const base = join(temp(), "seed");
    await seed(base);
    let made = 0, absent = 0;
    for (let step = 0; step < 500; step++) {
      const dir = join(temp(), `s${step}`);
      cpSync(base, dir, { recursive: true });
      const { db, fs } = await crashingAt(dir, step, async () => undefined);
      const result = await db.createCollection("fresh").then(() => "ok", (e) => e as Error);
      const crashed = fs.crashed;
      await db.close().catch(() => undefined);
      dropStaleLocks(dir);
      const again = await Database.open(dir, await backends());
      try {
        if (again.listCollections().some((c) => c.name === "fresh")) {
          const c = await again.collection("fresh");
          expect(await c.count()).toBe(0);
          await c.upsert([docs[0]!]);
          made++;
        } else {
          expect(result).not.toBe("ok");
          expect(existsSync(join(dir, "collections", "fresh"))).toBe(false);
          await (await again.createCollection("fresh")).upsert([docs[0]!]);
          absent++;
        }
        await expectIntact(again, "main");
      } finally {
        await again.close();
      }
      if (!crashed) break;
    }
    expect(made).toBeGreaterThan(0);
    expect(absent).toBeGreaterThan(3);
  }, 120_000);

  it("an injected I/O error while removing a dropped collection's files: dropped, and the next open finishes the removal", async () => {
    const dir = join(temp(), "db");
    await seed(dir);
    const fs = new FaultInjectingFileSystem(nodeFileSystem);
    const db = await Database.open(dir, { ...(await backends()), fs });
    fs.inject({ op: "unlink", kind: "EIO", path: /collections\/main\// });
    await expect(db.dropCollection("main")).rejects.toMatchObject({ code: "IO_ERROR", message: expect.stringContaining("is dropped") });
    expect(db.listCollections().map((c) => c.name)).toEqual(["other"]);
    expect(existsSync(join(dir, "collections", "main"))).toBe(true);
    await db.close();
    const again = await Database.open(dir, await backends());
    expect(existsSync(join(dir, "collections", "main"))).toBe(false);
    await again.close();
  });
});

describe("catalog checksum", () => {
  it("every flipped bit of sparsedb.json is CORRUPTION naming the file", async () => {
    const dir = join(temp(), "db");
    await seed(dir);
    const good = readFileSync(join(dir, "sparsedb.json"));
    expect(decodeCatalog(good, "sparsedb.json").catalog.collections).toHaveProperty("main");
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = Buffer.from(good);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => decodeCatalog(bad, "x/sparsedb.json"), `bit ${bit}`).toThrow(expect.objectContaining({ code: "CORRUPTION", message: expect.stringContaining("x/sparsedb.json") }));
    }
  });

  it("a damaged catalog refuses the open and deletes nothing", async () => {
    const dir = join(temp(), "db");
    await seed(dir);
    const path = join(dir, "sparsedb.json");
    const good = readFileSync(path);
    const before = readdirSync(join(dir, "collections")).sort();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: good.length * 8 - 1 }), async (bit) => {
        const bad = Buffer.from(good);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        writeFileSync(path, bad);
        await expect(Database.open(dir, await backends())).rejects.toMatchObject({ code: "CORRUPTION", message: expect.stringContaining(path) });
        expect(readdirSync(join(dir, "collections")).sort()).toEqual(before);
        expect(existsSync(join(dir, "collections", "main", "MANIFEST"))).toBe(true);
      }),
      { numRuns: 40 },
    );
    // "main" -> "lain" with a recomputed checksum would be believed; a flip never has one.
    writeFileSync(path, good);
    const db = await Database.open(dir, await backends());
    await expectIntact(db, "main");
    await db.close();
  });

  it("reads a legacy format 1 catalog (no checksum), deletes nothing on its word, and rewrites it with a checksum", async () => {
    const dir = join(temp(), "db");
    await seed(dir);
    const { catalog } = decodeCatalog(readFileSync(join(dir, "sparsedb.json")), "x");
    writeFileSync(join(dir, "sparsedb.json"), JSON.stringify({ format: 1, collections: catalog.collections }));
    const db = await Database.open(dir, await backends());
    await expectIntact(db, "main");
    await db.close();
    expect(readFileSync(join(dir, "sparsedb.json"), "utf8")).toMatch(/^\{"format":2,"crc32c":"[0-9a-f]{8}","catalog":/);
    expect(JSON.parse(readFileSync(join(dir, "sparsedb.json"), "utf8")).catalog.collections).toHaveProperty("main");
  });
});

describe("what Database.open accepts", () => {
  it("creates a database only in a missing or empty folder", async () => {
    const root = temp();
    for (const d of ["missing/deeper", "empty"]) {
      if (d === "empty") mkdirSync(join(root, d));
      const db = await Database.open(join(root, d), await backends());
      await db.close();
      expect(existsSync(join(root, d, "sparsedb.json"))).toBe(true);
    }
    // What a crash while creating one leaves (a lock, a catalog temp file) still counts as empty.
    mkdirSync(join(root, "half"));
    writeFileSync(join(root, "half", "sparsedb.lock"), "999999999");
    writeFileSync(join(root, "half", "sparsedb.json.tmp"), "{");
    await (await Database.open(join(root, "half"), await backends())).close();
  });

  it("refuses a file, a folder of user files, node_modules, and a collection folder, without writing into them", async () => {
    const root = temp();
    writeFileSync(join(root, "package.json"), "{}");
    await expect(Database.open(join(root, "package.json"), await backends())).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("is a file") });
    mkdirSync(join(root, "photos"));
    writeFileSync(join(root, "photos", "cat.jpg"), "x");
    mkdirSync(join(root, "node_modules", "left-pad"), { recursive: true });
    for (const d of ["photos", "node_modules"]) {
      const before = readdirSync(join(root, d));
      await expect(Database.open(join(root, d), await backends())).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/not empty.*missing or empty folder/) });
      expect(readdirSync(join(root, d))).toEqual(before);
    }
    await seed(join(root, "db"));
    await expect(Database.open(join(root, "db", "collections", "main"), await backends())).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("collection folder"),
    });
    await expect(Database.open(join(root, "photos"), { ...(await backends()), create: false })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("collection names", () => {
  it("are case-sensitive for lookups and drops (with a hint), and two names differing only by case cannot coexist", async () => {
    const db = await Database.open(join(temp(), "db"), await backends());
    await db.createCollection("Docs");
    await expect(db.collection("docs")).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining('did you mean "Docs"') });
    await expect(db.dropCollection("DOCS")).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining('did you mean "Docs"') });
    await expect(db.createCollection("docs")).rejects.toMatchObject({ code: "ALREADY_EXISTS", message: expect.stringContaining("case") });
    expect(db.hasCollection("docs")).toBe(false);
    await db.collection("Docs");
    await db.dropCollection("Docs");
    await db.createCollection("docs"); // free once the other is gone
    await db.close();
  });
});

describe("database lock", () => {
  it("records pid, host and start time, and takes over a lock whose pid was reused or is gone", async () => {
    const dir = join(temp(), "db");
    const db = await Database.open(dir, await backends());
    const owner = JSON.parse(readFileSync(join(dir, "sparsedb.lock"), "utf8"));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    await expect(Database.open(dir, await backends())).rejects.toMatchObject({ code: "LOCKED" });
    await db.close();
    // Our own pid but another start time: the pid was reused after its owner died.
    writeFileSync(join(dir, "sparsedb.lock"), JSON.stringify({ ...owner, start: "1" }));
    await (await Database.open(dir, await backends())).close();
    // A lock in the old format (a bare pid) of a process that is gone.
    writeFileSync(join(dir, "sparsedb.lock"), "999999999");
    await (await Database.open(dir, await backends())).close();
    expect(existsSync(join(dir, "sparsedb.lock"))).toBe(false);
  });
});

describe("sync", () => {
  it("in durability batch and off, collection.sync() and db.sync() fsync the log of everything acknowledged", async () => {
    const walSyncs: string[] = [];
    class CountingFileSystem extends NodeFileSystem {
      override async open(p: string, m: OpenMode): Promise<WritableFile> {
        const f = await super.open(p, m);
        const sync = f.sync.bind(f);
        f.sync = () => (p.endsWith(".log") && walSyncs.push(p), sync());
        return f;
      }
    }
    const options: DatabaseOptions = { ...(await backends()), fs: new CountingFileSystem() };
    const db = await Database.open(join(temp(), "db"), options);
    for (const durability of ["batch", "off"] as const) {
      const c = await db.createCollection(durability, { durability, batchIntervalMs: 3_600_000 });
      await c.upsert([docs[0]!]);
      const before = walSyncs.length;
      await c.upsert([docs[1]!]);
      expect(walSyncs.length).toBe(before); // acknowledged, not yet durable
      await c.sync();
      expect(walSyncs.length).toBe(before + 1);
      await c.upsert([docs[2]!]);
      await db.sync();
      expect(walSyncs.length).toBe(before + 2);
      await c.sync(); // nothing new: no fsync needed
      expect(walSyncs.length).toBe(before + 2);
    }
    await db.close();
  });
});
