import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";
import { sparsedb } from "../cli/cli-harness.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("the CLI with dense vectors", () => {
  it("collections create --dense-*, ingest JSON lines with dense, export jsonl and import it back: dense vectors bit-identical", async () => {
    const root = await mkdtemp(join(tmpdir(), "sparsedb-dense-cli-"));
    dirs.push(root);
    const dir = join(root, "db");
    const created = await sparsedb(["collections", "create", "h", "--dense-dims", "3", "--dense-metric", "dot", "--dense-index", "flat", "--dir", dir], { cwd: root });
    expect(created.stderr).toBe("");
    const lines = [
      { id: "a", text: "glacier ice", dense: [0.1, 0.2, 0.3], lang: "en" },
      { id: "b", text: "desert sand" },
      { id: "c", dense: [1, -1, 1e-7] },
    ];
    await writeFile(join(root, "in.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const ingested = await sparsedb(["ingest", "in.jsonl", "--format", "jsonl", "--dir", dir, "-c", "h"], { cwd: root });
    expect(ingested.code, ingested.stderr).toBe(0);
    const exported = await sparsedb(["export", "--format", "jsonl", "-o", "out.jsonl", "--dir", dir, "-c", "h"], { cwd: root });
    expect(exported.code, exported.stderr).toBe(0);
    const out = (await readFile(join(root, "out.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(out.find((d) => d.id === "a").dense).toEqual([0.1, 0.2, 0.3]);
    expect(out.find((d) => d.id === "b").dense).toBeUndefined();
    const imported = await sparsedb(["import", "out.jsonl", "--dir", dir, "-c", "copy", "--dense-dims", "3", "--dense-metric", "dot"], { cwd: root });
    expect(imported.code, imported.stderr).toBe(0);
    const db = await Database.open(dir);
    const [h, copy] = [await db.collection("h"), await db.collection("copy")];
    expect(copy.config.dense).toEqual({ dims: 3, metric: "dot", index: "flat" });
    for (const id of ["a", "b", "c"]) expect((await copy.get(id))!.dense).toEqual((await h.get(id))!.dense);
    expect(Array.from((await h.get("c"))!.dense!)).toEqual(Array.from(Float32Array.of(1, -1, 1e-7)));
    expect((await h.get("a"))!.metadata).toEqual({ lang: "en" });
    await db.close();
  });

  it("--dense-metric without --dense-dims is a usage error", async () => {
    const root = await mkdtemp(join(tmpdir(), "sparsedb-dense-cli-"));
    dirs.push(root);
    const r = await sparsedb(["collections", "create", "h", "--dense-metric", "dot", "--dir", join(root, "db")], { cwd: root });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--dense-metric needs --dense-dims N");
  });
});
