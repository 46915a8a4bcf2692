import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { NodeFileSystem, nodeFileSystem, type OpenMode, type WritableFile } from "../../storage/file-system.js";
import { FaultInjectingFileSystem } from "../../storage/fault-injecting-file-system.js";
import { parseWal, readWal } from "../../storage/wal-reader.js";
import { WalWriter } from "../../storage/wal-writer.js";
import { encodeWalHeader, encodeWalRecord, WAL_HEADER_BYTES, WAL_MAX_RECORD_BYTES, WAL_RECORD_HEADER_BYTES } from "../../storage/wal-format.js";
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
const payload = (i: number, len = 5 + (i % 7)): Uint8Array => Uint8Array.from({ length: len }, (_, j) => (i * 31 + j) & 0xff);

describe("write-ahead log", () => {
  it("replays every appended record in order, applying each once it is durable", async () => {
    const d = dir();
    const wal = await WalWriter.create(nodeFileSystem, d, `${d}/wal.log`, "always");
    const applied: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append(1 + (i % 3), payload(i), () => applied.push(i))));
    expect(applied).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await wal.close();
    const r = await readWal(nodeFileSystem, `${d}/wal.log`);
    expect(r.torn).toBe(false);
    expect(r.records.map((x) => x.type)).toEqual(Array.from({ length: 50 }, (_, i) => 1 + (i % 3)));
    r.records.forEach((x, i) => expect(Array.from(x.payload)).toEqual(Array.from(payload(i))));
  });

  it("shares one fsync among concurrent appends (group commit)", async () => {
    const d = dir();
    let syncs = 0;
    class CountingFileSystem extends NodeFileSystem {
      override async open(p: string, m: OpenMode): Promise<WritableFile> {
        const f = await super.open(p, m);
        const sync = f.sync.bind(f);
        f.sync = () => (syncs++, sync());
        return f;
      }
    }
    const wal = await WalWriter.create(new CountingFileSystem(), d, `${d}/wal.log`, "always");
    syncs = 0;
    await Promise.all(Array.from({ length: 64 }, (_, i) => wal.append(1, payload(i), () => undefined)));
    expect(syncs).toBeLessThanOrEqual(2);
    await wal.close();
  });

  it("recovers exactly the records before a torn last record, at every byte offset", async () => {
    const d = dir();
    const path = `${d}/wal.log`;
    const wal = await WalWriter.create(nodeFileSystem, d, path, "always");
    for (let i = 0; i < 4; i++) await wal.append(1, payload(i, 40), () => undefined);
    const before = wal.size;
    await wal.append(2, payload(99, 40), () => undefined);
    await wal.close();
    const full = readFileSync(path);
    for (let cut = before; cut < full.length; cut++) {
      writeFileSync(path, full.subarray(0, cut));
      const r = await readWal(nodeFileSystem, path);
      expect(r.records.length).toBe(4);
      expect(r.validLength).toBe(before);
      expect(r.torn).toBe(cut > before);
      // Reopening truncates the tail and appends after the last good record.
      const w = await WalWriter.reopen(nodeFileSystem, path, r.validLength, "always");
      await w.append(3, payload(7), () => undefined);
      await w.close();
      const again = await readWal(nodeFileSystem, path);
      expect(again.records.map((x) => x.type)).toEqual([1, 1, 1, 1, 3]);
    }
    writeFileSync(path, full);
    expect((await readWal(nodeFileSystem, path)).records.length).toBe(5);
  });

  it("tells a damaged record with valid records after it (corruption) from a torn last record, for every bit", async () => {
    const d = dir();
    const path = `${d}/wal.log`;
    const wal = await WalWriter.create(nodeFileSystem, d, path, "always");
    for (let i = 0; i < 4; i++) await wal.append(1 + (i % 2), payload(i, 20), () => undefined);
    await wal.close();
    const full = readFileSync(path);
    const recordBytes = WAL_RECORD_HEADER_BYTES + 20;
    for (let bit = WAL_HEADER_BYTES * 8; bit < full.length * 8; bit++) {
      const copy = Buffer.from(full);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      const r = parseWal(copy, path);
      const record = Math.floor((bit / 8 - WAL_HEADER_BYTES) / recordBytes);
      // Never a partial or altered record: exactly the records before the damaged one.
      expect(r.records.length).toBe(record);
      expect(r.validLength).toBe(WAL_HEADER_BYTES + record * recordBytes);
      r.records.forEach((x, i) => expect(Array.from(x.payload)).toEqual(Array.from(payload(i, 20))));
      if (record < 3) {
        expect(r.torn).toBe(false);
        expect(r.damage).toMatchObject({ offset: r.validLength, recordsAfter: 3 - record });
      } else {
        expect(r.torn).toBe(true); // the last record: indistinguishable from a torn append
        expect(r.damage).toBeNull();
      }
    }
    // A damaged file header with records after it is damage too; a torn header holds nothing.
    const badHeader = Buffer.from(full);
    badHeader[3]! ^= 0x04;
    expect(parseWal(badHeader, path)).toMatchObject({ records: [], validLength: 0, headerValid: false, torn: false, damage: { offset: 0, recordsAfter: 4 } });
    truncateSync(path, 7);
    expect(await readWal(nodeFileSystem, path)).toMatchObject({ records: [], validLength: 0, headerValid: false, torn: true, damage: null });
  });

  it("a zero-filled tail (a crash after the file grew) is a torn tail, not damage", () => {
    const full = Buffer.concat([encodeWalHeader(), encodeWalRecord(1, payload(1)), Buffer.alloc(4096)]);
    expect(parseWal(full, "x")).toMatchObject({ torn: true, damage: null, validLength: WAL_HEADER_BYTES + WAL_RECORD_HEADER_BYTES + payload(1).length });
  });

  it("refuses a record the reader would not accept (over WAL_MAX_RECORD_BYTES, type 0) before applying it", async () => {
    const d = dir();
    const wal = await WalWriter.create(nodeFileSystem, d, `${d}/wal.log`, "always");
    const applied: number[] = [];
    // Zero-filled and never touched before the size check: costs no real memory.
    const huge = new Uint8Array(WAL_RECORD_HEADER_BYTES + WAL_MAX_RECORD_BYTES + 1);
    await expect(wal.appendInPlace(1, huge, () => applied.push(1))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/batch is too large.*split it/),
    });
    await expect(wal.append(0, payload(2), () => applied.push(2))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await wal.append(1, payload(3), () => applied.push(3));
    await wal.close();
    expect(applied).toEqual([3]);
    expect((await readWal(nodeFileSystem, `${d}/wal.log`)).records.length).toBe(1);
  });

  for (const kind of ["EIO", "ENOSPC", "short-write"] as const) {
    it(`rejects a group whose write fails (${kind}), applies none of it, and keeps working`, async () => {
      const d = dir();
      const fs = new FaultInjectingFileSystem(nodeFileSystem);
      const path = `${d}/wal.log`;
      const wal = await WalWriter.create(fs, d, path, "always");
      await wal.append(1, payload(1), () => undefined);
      fs.inject({ op: "write", kind });
      const applied: number[] = [];
      await expect(wal.append(1, payload(2), () => applied.push(2))).rejects.toMatchObject({ code: "IO_ERROR" });
      expect(applied).toEqual([]);
      await wal.append(1, payload(3), () => applied.push(3));
      fs.inject({ op: "sync", kind: "EIO" });
      await expect(wal.append(1, payload(4), () => applied.push(4))).rejects.toMatchObject({ code: "IO_ERROR" });
      await wal.append(1, payload(5), () => applied.push(5));
      await wal.close();
      expect(applied).toEqual([3, 5]);
      const r = await readWal(nodeFileSystem, path);
      expect(r.torn).toBe(false);
      expect(r.records.map((x) => x.payload[0])).toEqual([payload(1)[0], payload(3)[0], payload(5)[0]]);
    });
  }

  it("loops over partial (short but successful) writes", async () => {
    const d = dir();
    const fs = new FaultInjectingFileSystem(nodeFileSystem);
    const wal = await WalWriter.create(fs, d, `${d}/wal.log`, "always");
    fs.inject({ op: "write", kind: "partial-write", times: 3 });
    await wal.append(1, payload(1, 100), () => undefined);
    await wal.close();
    expect((await readWal(nodeFileSystem, `${d}/wal.log`)).records.length).toBe(1);
  });

  it("in batch mode applies and resolves at once, writes in the background, and syncs on a timer", async () => {
    const d = dir();
    const fs = new FaultInjectingFileSystem(nodeFileSystem);
    const wal = await WalWriter.create(fs, d, `${d}/wal.log`, "batch", 5);
    const applied: number[] = [];
    await wal.append(1, payload(1), () => applied.push(1));
    expect(applied).toEqual([1]);
    await wal.sync();
    // A failed background write is reported by the next append.
    fs.inject({ op: "write", kind: "EIO" });
    await wal.append(1, payload(2), () => applied.push(2));
    await new Promise((r) => setTimeout(r, 20));
    await expect(wal.append(1, payload(3), () => applied.push(3))).rejects.toMatchObject({ code: "IO_ERROR" });
    await wal.append(1, payload(4), () => applied.push(4));
    await wal.close();
    expect(applied).toEqual([1, 2, 4]);
    const r = await readWal(nodeFileSystem, `${d}/wal.log`);
    expect(r.records.map((x) => x.payload[0])).toEqual([payload(1)[0], payload(4)[0]]);
  });
});
