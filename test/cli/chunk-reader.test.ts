import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LineEntry } from "../../engine/cli/chunk-documents.js";
import { chunkReader, type InputReader } from "../../engine/cli/ingest-input.js";
import type { LineParserOptions } from "../../engine/cli/input-formats.js";
import { LineSource } from "../../engine/cli/line-source.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { Vocabulary } from "../../engine/vocabulary.js";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-chunk-reader-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const tokens = ["[PAD]", "a", "ab", "b"];
const parser: LineParserOptions = { format: "jsonl", vocabulary: new Vocabulary(tokens), textField: "text", vectorKeys: "tokens", anseriniScale: 100 };
const lines = Array.from({ length: 500 }, (_, i) => (i % 7 === 3 ? JSON.stringify({ id: `m${i}`, vector: { a: i }, tag: i }) : i % 11 === 0 ? "" : JSON.stringify({ id: `d${i}`, vector: { ab: i / 8, b: 1 } })));

async function all(input: InputReader): Promise<unknown[]> {
  const out: LineEntry[] = [];
  for await (const b of input.batches()) out.push(...b);
  return out.map(([n, e]) => ("bad" in e ? [n, e.bad] : [n, e.id, [...(e.vector as SparseVector).terms], [...(e.vector as SparseVector).weights], e.metadata ?? null]));
}

describe("chunkReader's check (--on-error stop)", () => {
  it("keeps the parsed file when it fits, so the load reads nothing; else the load reads the file again", async () => {
    const file = join(cwd, "v.jsonl");
    await writeFile(file, lines.join("\n"));
    const open = async (keepBytes: number) => chunkReader(await LineSource.open(file), { format: { format: "jsonl", tokens }, threads: 0, parser, keepBytes, chunkBytes: 512 });
    const want = await all(await open(0));
    expect(want.length).toBe(lines.filter((l) => l !== "").length);

    const kept = await open(1 << 30);
    expect(await kept.check(() => undefined)).toBeUndefined();
    expect(kept.kept).toBe(true);
    const small = await open(2000);
    expect(await small.check(() => undefined)).toBeUndefined();
    expect(small.kept).toBe(false);
    await unlink(file); // what was kept needs no file
    expect(await all(kept)).toEqual(want);
    await expect(all(small)).rejects.toThrow();
  });

  it("finds the first bad line, whether the fast parser or the line parser names it", async () => {
    const file = join(cwd, "v.jsonl");
    for (const [bad, at] of [['{"id":"x","vector":{"zz":1}}', 40], ['{"id":"x","vector":{"a":-1},"m":1}', 300], ["nope", 2]] as const) {
      const text = lines.map((l, i) => (i === at - 1 ? bad : l));
      await writeFile(file, text.join("\n"));
      const input = chunkReader(await LineSource.open(file), { format: { format: "jsonl", tokens }, threads: 0, parser, keepBytes: 1 << 30, chunkBytes: 700 });
      expect((await input.check(() => undefined))?.line).toBe(at);
    }
  });
});

describe("sparsedb ingest of JSON lines of token vectors (bulk load, chunked parse)", () => {
  it("holds what the write-ahead-log path holds, metadata lines included, and stop still writes nothing for a bad line", async () => {
    const docs = ['{"id":"d1","vector":{"hello":1.5,"world":0.25}}', '{"id":2,"vector":{"world":3}}', '{"id":"d3","vector":{"hello":1},"lang":"en"}', "", '{ "vector": {}, "id": "d4" }'];
    await writeFile(join(cwd, "v.jsonl"), docs.join("\n") + "\n");
    for (const [dir, extra] of [["bulk", []], ["wal", ["--wal"]]] as const) expect((await sparsedb(["ingest", "--dir", dir, ...extra, "v.jsonl"], { cwd })).code).toBe(0);
    for (const id of ["d1", "2", "d3", "d4"]) {
      const get = async (dir: string) => (await sparsedb(["get", "--dir", dir, id], { cwd })).stdout;
      expect(await get("bulk")).toEqual(await get("wal"));
    }
    await writeFile(join(cwd, "b.jsonl"), [...docs, '{"id":"d5","vector":{"qqqzzz":1}}'].join("\n") + "\n");
    const r = await sparsedb(["ingest", "--dir", "new", "b.jsonl"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/b\.jsonl:6: .*unknown token "qqqzzz"/);
    expect(r.stderr).toMatch(/nothing was written/);
  }, 30_000);
});
