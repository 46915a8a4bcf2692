import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { sparsedb } from "../cli/cli-harness.js";

/** sparsedb get / count / delete --filter / set-metadata, on a folder and through --connect. */
const DOCS = [
  { id: "a", text: "glaciers carve deep valleys", metadata: { lang: "en", year: 2001 } },
  { id: "b", text: "les glaciers fondent", metadata: { lang: "fr", year: 2015 } },
  { id: "c", text: "glacier retreat", metadata: { lang: "en", year: 2020 } },
];

describe.each(["dir", "connect"] as const)("document commands (--%s)", (mode) => {
  let root: string;
  let served: { db: Database; server: SparseServer } | undefined;
  let target: string[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sparsedb-documents-cli-"));
    const db = await Database.open(join(root, "db"));
    await (await db.createCollection("docs")).upsert(DOCS);
    if (mode === "dir") {
      await db.close();
      target = ["--dir", join(root, "db"), "-c", "docs"];
    } else {
      served = { db, server: await SparseServer.listen(db, { port: 0 }) };
      target = ["--connect", `127.0.0.1:${served.server.port}`, "-c", "docs"];
    }
  });

  afterAll(async () => {
    await served?.server.close();
    await served?.db.close();
    await rm(root, { recursive: true, force: true });
  });

  const run = (...args: string[]) => sparsedb([...args, ...target], { cwd: root });

  it("get prints documents in the order given with their texts; a missing one fails with exit 1", async () => {
    const r = await run("get", "c", "missing", "a");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("not found: missing\n");
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((d) => [d.id, d.text, d.metadata])).toEqual([
      ["c", "glacier retreat", { lang: "en", year: 2020 }],
      ["a", "glaciers carve deep valleys", { lang: "en", year: 2001 }],
    ]);
    expect(lines[0].vector.terms.length).toBeGreaterThan(0);
    const noText = await run("get", "a", "--no-text");
    expect(noText.code).toBe(0);
    expect(JSON.parse(noText.stdout)).not.toHaveProperty("text");
  });

  it("count, with and without --filter", async () => {
    expect(await run("count")).toMatchObject({ code: 0, stdout: "3\n" });
    expect(await run("count", "--filter", '{"lang": "en"}')).toMatchObject({ code: 0, stdout: "2\n" });
  });

  it("set-metadata merges a patch; delete --filter deletes the matches", async () => {
    expect(await run("set-metadata", "b", '{"reviewed": true, "year": null}')).toMatchObject({ code: 0, stdout: "updated b\n" });
    expect(JSON.parse((await run("get", "b")).stdout)).toMatchObject({ metadata: { lang: "fr", reviewed: true }, text: "les glaciers fondent" });
    expect(JSON.parse((await run("get", "b")).stdout).metadata).not.toHaveProperty("year");
    expect(await run("delete", "--filter", '{"year": {"gte": 2010}}')).toMatchObject({ code: 0, stdout: 'deleted 1 matching {"year":{"gte":2010}}\n' });
    expect(await run("count")).toMatchObject({ stdout: "2\n" });
    expect(await run("count", "--filter", '{"reviewed": true}')).toMatchObject({ stdout: "1\n" });
  });
});
