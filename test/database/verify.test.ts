import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { Database, type DatabaseOptions } from "../../engine/database.js";
import { decodeManifest, encodeManifest } from "../../storage/manifest.js";
import { parseWal } from "../../storage/wal-reader.js";
import { sparsedb } from "../cli/cli-harness.js";
import { createTestEncoder } from "./fake-collection.js";

const roots: string[] = [];
afterEach(() => {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The real storage, whatever SPARSEDB_TEST_FAKE_STORAGE says: these tests are about its files. */
const real: DatabaseOptions = { openCollection: (dir, o) => CollectionStore.open(dir, o), createEncoder: createTestEncoder, defaultEncoder: { kind: "bm25" } };
const docs = Array.from({ length: 25 }, (_, i) => ({ id: `d${i}`, vector: { [i % 9]: 1 + i, [40 + (i % 5)]: 0.5 }, metadata: { i } }));

/**
 * A database as a crash leaves it: collection "main" with a segment of 17 documents and a
 * deletion file (1 deletion), and a log of 6 records (that deletion, then 5 one-document
 * upserts); "other" with one document, only in its log.
 */
async function crashImage(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), "sparsedb-verify-"));
  roots.push(root);
  const live = join(root, "live");
  const db = await Database.open(live, real);
  const main = await db.createCollection("main", { memtableMaxDocs: 1000 });
  await main.upsert(docs.slice(0, 20));
  await main.delete(["d1", "d2", "d3"]);
  await main.flush();
  await main.delete(["d4"]);
  await main.flush(); // a deletion file (generation 1)
  for (const d of docs.slice(20)) await main.upsert([d]);
  await (await db.createCollection("other")).upsert([{ id: "o", text: "hello there" }]);
  const image = join(root, "db");
  cpSync(live, image, { recursive: true, filter: (src) => !/(\/LOCK|sparsedb\.lock)$/.test(src) });
  await db.close();
  return image;
}

const main = (dir: string) => join(dir, "collections", "main");
const fileOf = (dir: string, re: RegExp) => readdirSync(main(dir)).find((f) => re.test(f))!;
function flip(path: string, byte: number): void {
  const b = readFileSync(path);
  b[byte]! ^= 0x08;
  writeFileSync(path, b);
}
async function verify(dir: string) {
  const db = await Database.open(dir, real);
  try {
    return await db.verify();
  } finally {
    await db.close();
  }
}

describe("db.verify() and sparsedb check", () => {
  it("a sound database is ok, with what was checked counted; the CLI exits 0", async () => {
    const dir = await crashImage();
    const r = await verify(dir);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checked).toMatchObject({ collections: 2, segments: 1, deletionFiles: 1, logs: 2, logRecords: 7, documents: 16 });
    const before = readdirSync(main(dir)).sort();
    const cli = await sparsedb(["check", dir], { cwd: dir });
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^ok: checked 2 collection/m);
    expect(readdirSync(main(dir)).sort()).toEqual(before); // read-only: no log replayed or removed
    const json = await sparsedb(["check", "--dir", dir, "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ database: dir, ok: true, problems: [], checked: { collections: 2 } });
    // Also while the collections are open in this process (checked under their commit lock).
    const db = await Database.open(dir, real);
    await (await db.collection("main")).upsert([{ id: "late", vector: { 1: 1 } }]);
    expect((await db.verify()).problems).toEqual([]);
    await db.close();
  });

  const faults: [string, (dir: string) => string, RegExp][] = [
    ["a flipped bit in a segment", (d) => { const f = fileOf(d, /\.sdb$/); flip(join(main(d), f), 200); return f; }, /checksum/],
    ["a flipped bit in a deletion file", (d) => { const f = fileOf(d, /\.del-/); flip(join(main(d), f), 20); return f; }, /checksum/],
    ["a flipped bit in a manifest", (d) => { flip(join(main(d), "MANIFEST"), 30); return "MANIFEST"; }, /checksum/],
    ["a missing segment file", (d) => { const f = fileOf(d, /\.sdb$/); unlinkSync(join(main(d), f)); return f; }, /named by MANIFEST but missing/],
    ["a manifest whose deletion count disagrees with the deletion file", (d) => {
      const path = join(main(d), "MANIFEST");
      const m = decodeManifest(readFileSync(path), path);
      m.segments.find((s) => s.delGen > 0)!.deletedDocs += 1;
      writeFileSync(path, encodeManifest(m));
      return fileOf(d, /\.del-/);
    }, /holds 1 deletions but MANIFEST says 2/],
    ["a manifest whose document count disagrees with the segment", (d) => {
      const path = join(main(d), "MANIFEST");
      const m = decodeManifest(readFileSync(path), path);
      m.segments[0]!.docs += 1;
      writeFileSync(path, encodeManifest(m));
      return "seg-";
    }, /holds 17 documents but MANIFEST says 18/],
    ["a damaged log record with valid records after it", (d) => {
      const f = fileOf(d, /^wal-/);
      const first = parseWal(readFileSync(join(main(d), f)), f).records[0]!;
      flip(join(main(d), f), 16 + 9 + Math.floor(first.payload.length / 2));
      return f;
    }, /damaged at byte offset 16, with 5 valid record/],
    ["a collection folder the catalog names but that is missing", (d) => { rmSync(join(d, "collections", "other"), { recursive: true }); return "collections/other"; }, /folder is missing/],
    ["a collection folder the catalog does not name", (d) => { mkdirSync(join(d, "collections", "stray")); return "collections/stray"; }, /catalog does not name/],
    ["legacy encoder statistics", (d) => { mkdirSync(join(d, "encoder-state"), { recursive: true }); writeFileSync(join(d, "encoder-state", "other.json"), "{}"); return "encoder-state/other.json"; }, /legacy BM25 statistics/],
  ];
  for (const [name, inject, what] of faults) {
    it(`names ${name}, and the CLI exits 1`, async () => {
      const dir = await crashImage();
      const file = inject(dir);
      const r = await verify(dir);
      expect(r.ok).toBe(false);
      expect(r.problems.some((p) => p.file.includes(file) && what.test(p.what)), JSON.stringify(r.problems)).toBe(true);
      const cli = await sparsedb(["check", dir], { cwd: dir });
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain(`PROBLEM ${join(dir)}`);
      expect(cli.stdout).toContain(file);
    });
  }

  it("a torn log tail is a note, not a problem", async () => {
    const dir = await crashImage();
    const f = join(main(dir), fileOf(dir, /^wal-/));
    writeFileSync(f, readFileSync(f).subarray(0, -4));
    const r = await verify(dir);
    expect(r.ok).toBe(true);
    expect(r.notes.some((n) => n.file === f && /torn tail/.test(n.what))).toBe(true);
  });

  it("a damaged catalog: db.verify() and sparsedb check name it", async () => {
    const dir = await crashImage();
    const db = await Database.open(dir, real);
    flip(join(dir, "sparsedb.json"), 40);
    const r = await db.verify();
    await db.close().catch(() => undefined);
    expect(r.problems).toEqual([expect.objectContaining({ file: join(dir, "sparsedb.json"), what: expect.stringContaining("checksum") })]);
    const cli = await sparsedb(["check", dir], { cwd: dir });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/^PROBLEM .*sparsedb\.json: .*checksum/m);
    await expect(Database.open(dir, real)).rejects.toMatchObject({ code: "CORRUPTION" });
  });

  it("sparsedb check --repair cuts a damaged log at the damage, says what it dropped, and the database then checks clean", async () => {
    const dir = await crashImage();
    const f = fileOf(dir, /^wal-/);
    const records = parseWal(readFileSync(join(main(dir), f)), f).records;
    const offset = 16 + 3 * 9 + records[0]!.payload.length + records[1]!.payload.length + records[2]!.payload.length; // d22's upsert
    flip(join(main(dir), f), offset + 12);
    const db = await Database.open(dir, real);
    await expect(db.collection("main")).rejects.toMatchObject({ code: "CORRUPTION", message: expect.stringContaining(`byte offset ${offset}`) });
    await db.close();
    const cli = await sparsedb(["check", dir, "--repair"], { cwd: dir });
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`repaired ${join(main(dir), f)}: cut at byte offset ${offset}, dropped 2 valid record(s)`);
    const again = await Database.open(dir, real);
    const c = await again.collection("main");
    expect(await c.count()).toBe(16 + 2);
    expect(await c.get("d21")).not.toBeNull();
    expect(await c.get("d4")).toBeNull();
    expect(await c.get("d22")).toBeNull();
    await again.close();
    expect((await sparsedb(["check", dir], { cwd: dir })).code).toBe(0);
  });
});
