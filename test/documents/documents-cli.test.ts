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

  it("search shows stored texts with --include-text and chosen metadata with --fields (or none with --no-metadata)", async () => {
    const plain = await run("search", "glaciers", "--json");
    expect(plain.code, plain.stderr).toBe(0);
    const hits = JSON.parse(plain.stdout) as Record<string, unknown>[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => !("text" in h) && "metadata" in h)).toBe(true);
    const chosen = await run("search", "glaciers", "--json", "--include-text", "--fields", "year");
    expect(chosen.code, chosen.stderr).toBe(0);
    const a = (JSON.parse(chosen.stdout) as Record<string, unknown>[]).find((h) => h.id === "a")!;
    expect(a).toMatchObject({ text: "glaciers carve deep valleys", metadata: { year: 2001 } });
    expect(a.metadata).not.toHaveProperty("lang");
    const listed = await run("search", "glaciers", "--include-text", "--no-metadata");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ +\d\. a +\d\.\d{4}\n {6}glaciers carve deep valleys\n/m);
    expect(listed.stdout).not.toContain('"lang"');
    const json = await run("search", "glaciers", "--json", "--fields", '["lang"]');
    expect((JSON.parse(json.stdout) as { metadata: unknown }[]).every((h) => Object.keys(h.metadata as object).join() === "lang")).toBe(true);
    for (const [args, message] of [
      [["--fields", "lang,"], /--fields takes field names separated by commas/],
      [["--fields", "[1]"], /--fields as JSON must be an array of non-empty field names/],
      [["--fields", "lang", "--no-metadata"], /give --fields or --no-metadata, not both/],
    ] as const) {
      const bad = await run("search", "glaciers", ...args);
      expect(bad.code, args.join(" ")).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  });

  it("get takes --fields and --no-metadata too", async () => {
    const r = await run("get", "a", "b", "--fields", "year");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").map((l) => JSON.parse(l)).map((d) => [d.id, d.metadata, d.text])).toEqual([
      ["a", { year: 2001 }, "glaciers carve deep valleys"],
      ["b", { year: 2015 }, "les glaciers fondent"],
    ]);
    const none = JSON.parse((await run("get", "a", "--no-metadata", "--no-text")).stdout);
    expect(Object.keys(none)).toEqual(["id", "vector"]);
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
