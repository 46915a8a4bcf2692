import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-anserini-chunks-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** A bulk load of an Anserini file goes through the chunked parser; the line path's behaviour stays. */
describe("sparsedb ingest --format anserini (bulk load, chunked parse)", () => {
  const lines = ["d1\thello hello world", "", "d2\tworld", "d3\thello qqqzzz", "no tab", "d4\thello\r"];

  it("with --on-error stop, names the first bad line and writes nothing", async () => {
    await writeFile(join(cwd, "v.tsv"), lines.join("\n"));
    const r = await sparsedb(["ingest", "--dir", "db", "--format", "anserini", "--parse-threads", "0", "v.tsv"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/v\.tsv:4: unknown token "qqqzzz"/);
    expect(r.stderr).toMatch(/nothing was written/);
    expect((await sparsedb(["collections", "list", "--dir", "db"], { cwd })).stdout).not.toMatch(/default/);
  });

  it("with --on-error skip, loads the good lines, reports the bad ones by file:line, and the line it is durable through", async () => {
    await writeFile(join(cwd, "v.tsv"), lines.join("\n"));
    const r = await sparsedb(["ingest", "--dir", "db", "--format", "anserini", "--scale", "2", "--segment-docs", "2", "--on-error", "skip", "v.tsv"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/v\.tsv:4: unknown token "qqqzzz".*\(skipped\)/);
    expect(r.stderr).toMatch(/v\.tsv:5: expected `id<TAB>\.\.\.`.*\(skipped\)/);
    expect(r.stderr).toMatch(/2 docs durable through v\.tsv:3/);
    expect(r.stdout).toMatch(/3 documents written, 2 bad lines skipped; collection now holds 3 \(durable through v\.tsv:6\)/);
    // d1: "hello" (BERT id 7592) twice, "world" (2088) once, over the scale 2.
    expect(JSON.parse((await sparsedb(["get", "--dir", "db", "d1"], { cwd })).stdout).vector).toEqual({ terms: [2088, 7592], weights: [0.5, 1] });
    expect(JSON.parse((await sparsedb(["get", "--dir", "db", "d4"], { cwd })).stdout).vector).toEqual({ terms: [7592], weights: [0.5] }); // \r\n accepted
  });
});
