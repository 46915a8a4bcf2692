import { readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { nodeFileSystem } from "../../storage/file-system.js";
import { decodeSegment, encodeSegment, readSegmentFile, writeSegmentFile } from "../../storage/segment-file.js";
import { readManifest, writeManifest, type Manifest } from "../../storage/manifest.js";
import { readDeletions, writeDeletions } from "../../storage/deletion-file.js";
import { DirectoryLock } from "../../storage/lock-file.js";
import { tempDir } from "./temp-dir.js";

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(new ArrayBuffer(chunks.reduce((s, c) => s + c.length, 0)));
  let o = 0;
  for (const c of chunks) (buf.set(c, o), (o += c.length));
  return buf;
}

const sectionsArb = fc.record({
  a: fc.uint8Array({ maxLength: 37 }),
  b: fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 20 }).map((x) => Uint16Array.from(x)),
  c: fc.array(fc.nat(), { maxLength: 20 }).map((x) => Uint32Array.from(x)),
  d: fc.array(fc.float({ noNaN: true }), { maxLength: 20 }).map((x) => Float32Array.from(x)),
});

describe("segment file container", () => {
  it("round-trips named typed arrays as aligned views into one buffer", () => {
    fc.assert(
      fc.property(sectionsArb, fc.string(), (arrays, s) => {
        const buf = concat(encodeSegment({ meta: { name: s, n: 3 }, arrays }));
        const out = decodeSegment(buf, "x.sdb");
        expect(out.meta).toEqual({ name: s, n: 3 });
        for (const [k, v] of Object.entries(arrays)) {
          const got = out.arrays[k]!;
          expect(got.constructor).toBe(v.constructor);
          expect(Array.from(got)).toEqual(Array.from(v));
          expect(got.buffer).toBe(buf.buffer); // a view, not a copy
          expect(got.byteOffset % 8).toBe(0);
        }
      }),
    );
  });

  it("reports a checksum error naming the file for any single flipped bit", async () => {
    const d = dir();
    const path = `${d}/seg-000001.sdb`;
    await writeSegmentFile(nodeFileSystem, path, { meta: { k: "v" }, arrays: { x: Uint32Array.from([1, 2, 3]), y: Uint8Array.from([9, 8, 7, 6, 5]) } });
    const good = readFileSync(path);
    fc.assert(
      fc.property(fc.nat(good.length * 8 - 1), (bit) => {
        const bad = new Uint8Array(good);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => decodeSegment(bad, path)).toThrow(/seg-000001\.sdb/);
        try {
          decodeSegment(bad, path);
        } catch (e) {
          expect((e as { code: string }).code).toBe("CORRUPTION");
        }
      }),
      { numRuns: 300 },
    );
    expect((await readSegmentFile(nodeFileSystem, path)).sections.meta).toEqual({ k: "v" });
  });
});

describe("manifest", () => {
  const m: Manifest = { generation: 3, logNumber: 5, nextFileNumber: 9, bits: 8, vocabSize: 30522, segments: [{ id: 2, docs: 10, delGen: 1, deletedDocs: 2 }] };
  it("commits atomically and reads back; a flipped bit is a checksum error naming MANIFEST", async () => {
    const d = dir();
    expect(await readManifest(nodeFileSystem, d)).toBeNull();
    await writeManifest(nodeFileSystem, d, m);
    expect(await readManifest(nodeFileSystem, d)).toEqual(m);
    const good = readFileSync(`${d}/MANIFEST`);
    await fc.assert(
      fc.asyncProperty(fc.nat(good.length * 8 - 1), async (bit) => {
        const bad = Buffer.from(good);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        writeFileSync(`${d}/MANIFEST`, bad);
        await expect(readManifest(nodeFileSystem, d)).rejects.toMatchObject({ code: "CORRUPTION", message: expect.stringContaining("MANIFEST") });
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a manifest from a newer format version", async () => {
    const d = dir();
    await writeManifest(nodeFileSystem, d, m);
    const buf = readFileSync(`${d}/MANIFEST`);
    // Rewrite version and checksum as a future sparsedb would.
    const { crc32c } = await import("../../storage/crc32c.js");
    buf.writeUInt32LE(2, 8);
    buf.writeUInt32LE(crc32c(buf.subarray(20), crc32c(buf.subarray(8, 16))), 16);
    writeFileSync(`${d}/MANIFEST`, buf);
    await expect(readManifest(nodeFileSystem, d)).rejects.toMatchObject({ code: "UNSUPPORTED_VERSION" });
  });
});

describe("deletion file", () => {
  it("round-trips and detects a flipped bit", async () => {
    const d = dir();
    const bits = Uint8Array.from([0b101, 0, 0x80]);
    await writeDeletions(nodeFileSystem, `${d}/x.del-1`, bits, 24, 3);
    expect(await readDeletions(nodeFileSystem, `${d}/x.del-1`, 24)).toEqual({ bits, deletedCount: 3 });
    const buf = readFileSync(`${d}/x.del-1`);
    buf[21]! ^= 4;
    writeFileSync(`${d}/x.del-1`, buf);
    await expect(readDeletions(nodeFileSystem, `${d}/x.del-1`, 24)).rejects.toMatchObject({ code: "CORRUPTION" });
  });
});

describe("directory lock", () => {
  it("refuses a second holder and takes over a lock whose process is dead", async () => {
    const d = dir();
    const lock = await DirectoryLock.acquire(nodeFileSystem, d);
    await expect(DirectoryLock.acquire(nodeFileSystem, d)).rejects.toMatchObject({ code: "LOCKED" });
    await lock.release();
    // A lock left by a SIGKILLed process: its pid no longer exists.
    writeFileSync(`${d}/LOCK`, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import("node:os")).hostname(), start: "1" }));
    const again = await DirectoryLock.acquire(nodeFileSystem, d);
    await again.release();
    // A lock held by a live process (our parent) is respected.
    writeFileSync(`${d}/LOCK`, JSON.stringify({ pid: process.ppid, host: (await import("node:os")).hostname(), start: null }));
    await expect(DirectoryLock.acquire(nodeFileSystem, d)).rejects.toMatchObject({ code: "LOCKED", message: expect.stringContaining(String(process.ppid)) });
  });
});
