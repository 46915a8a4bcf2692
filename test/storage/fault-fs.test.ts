import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { FaultInjectingFileSystem } from "../../storage/fault-injecting-file-system.js";
import { nodeFileSystem, readFileIfExists, removeTree, replaceFileAtomically } from "../../storage/file-system.js";
import { tempDir } from "./temp-dir.js";

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  mkdirSync(t.dir, { recursive: true });
  return t.dir;
}

describe("file-system helpers", () => {
  it("replaceFileAtomically leaves the old file whole when any step fails, the new one once it returns", async () => {
    const d = dir();
    writeFileSync(`${d}/f`, "old");
    for (const op of ["open", "write", "sync", "rename"] as const) {
      const fs = new FaultInjectingFileSystem(nodeFileSystem);
      fs.inject({ op, kind: "EIO" });
      await expect(replaceFileAtomically(fs, d, "f", new TextEncoder().encode("new"))).rejects.toMatchObject({ code: "EIO" });
      expect(readFileSync(`${d}/f`, "utf8")).toBe("old");
      expect(existsSync(`${d}/f.tmp`)).toBe(false);
    }
    await replaceFileAtomically(nodeFileSystem, d, "f", new TextEncoder().encode("new"));
    expect(readFileSync(`${d}/f`, "utf8")).toBe("new");
  });

  it("removeTree removes a tree and tolerates a missing path; readFileIfExists gives null for a missing file", async () => {
    const d = dir();
    mkdirSync(`${d}/t/a/b`, { recursive: true });
    writeFileSync(`${d}/t/a/b/x`, "1");
    writeFileSync(`${d}/t/y`, "2");
    await removeTree(nodeFileSystem, `${d}/t`);
    expect(existsSync(`${d}/t`)).toBe(false);
    await removeTree(nodeFileSystem, `${d}/t`);
    expect(await readFileIfExists(nodeFileSystem, `${d}/nope`)).toBeNull();
  });

  it('a "crash" fault stops every later disk change, as a kill at that call would, and reads still work', async () => {
    const d = dir();
    writeFileSync(`${d}/keep`, "k");
    const fs = new FaultInjectingFileSystem(nodeFileSystem);
    fs.inject({ op: "any", kind: "crash", after: 2 });
    const f = await fs.open(`${d}/a`, "truncate"); // change 1
    await f.write(new Uint8Array([1]), 0); // change 2
    await expect(f.sync()).rejects.toMatchObject({ code: "EIO" }); // change 3: the crash
    expect(fs.crashed).toBe(true);
    await f.close();
    await expect(fs.unlink(`${d}/keep`)).rejects.toMatchObject({ code: "EIO" });
    await expect(fs.mkdir(`${d}/m`)).rejects.toMatchObject({ code: "EIO" });
    await expect(fs.rename(`${d}/keep`, `${d}/moved`)).rejects.toMatchObject({ code: "EIO" });
    expect((await fs.readFile(`${d}/keep`)).toString()).toBe("k");
    expect(existsSync(`${d}/m`)).toBe(false);
  });
});
