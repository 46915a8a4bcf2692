import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { readLines } from "../../engine/input/line-reader.js";
import { loadQrels } from "../../engine/eval/qrels.js";

const dir = mkdtempSync(join(tmpdir(), "sparsedb-line-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lines(path: string, onFileBytes?: (n: number) => void): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(path, onFileBytes ? { onFileBytes } : {})) out.push(l.text);
  return out;
}

describe("engine/input line reader", () => {
  it("drops a UTF-8 byte order mark at the start of the file only", async () => {
    const p = join(dir, "bom.txt");
    writeFileSync(p, "\uFEFFfirst\r\n\uFEFFsecond\nlast");
    expect(await lines(p)).toEqual(["first", "\uFEFFsecond", "last"]);
    const gz = join(dir, "bom.txt.gz");
    writeFileSync(gz, gzipSync("\uFEFFq1 0 d1 1\n"));
    expect(await lines(gz)).toEqual(["q1 0 d1 1"]);
    // A qrels file saved with a BOM keeps its first query id clean.
    expect([...(await loadQrels(gz)).keys()]).toEqual(["q1"]);
  });

  it("counts the file's bytes as it reads them, compressed bytes for gzip", async () => {
    const text = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`).join("\n") + "\n";
    for (const [name, bytes] of [["plain.txt", Buffer.from(text)], ["packed.gz", gzipSync(text)]] as const) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      let counted = 0;
      expect(await lines(p, (n) => (counted += n))).toHaveLength(3000);
      expect(counted, name).toBe(statSync(p).size);
    }
  });
});
