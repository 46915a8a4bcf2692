import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEntryPoints, errorOf, expectCliError, type EntryPoints } from "../engine/entry-points.js";
import { sparsedb } from "./cli-harness.js";

const DOCS = [
  { id: "d3", text: "glaciers carve deep valleys", metadata: { lang: "en", source: { site: "wiki" } } },
  { id: "d1", text: "les glaciers fondent", metadata: { lang: "fr" } },
  { id: "d2", text: "coffee from brazil", metadata: { lang: "en" } },
  { id: "d0", vector: { terms: [7, 9], weights: [1, 2] } },
];

describe("sparsedb scroll (--dir and --connect), as the library's scroll", () => {
  let entry: EntryPoints;
  beforeAll(async () => {
    entry = await openEntryPoints("sparsedb-scroll-cli-", DOCS);
  });
  afterAll(() => entry?.close());

  const where = () => [
    ["--dir", join(entry.root, "cli"), "-c", "docs"],
    ["--connect", `127.0.0.1:${entry.server.port}`, "-c", "docs"],
  ];

  it("walks every page with the cursor it prints, the documents those of the library's pages", async () => {
    const library = await (await entry.db.collection("docs")).scroll({ limit: 10 });
    expect(library.documents.map((d) => d.id)).toEqual(["d0", "d1", "d2", "d3"]);
    for (const target of where()) {
      const seen: Record<string, unknown>[] = [];
      let cursor: string[] = [];
      for (let page = 0; ; page++) {
        const r = await sparsedb(["scroll", "--limit", "3", ...cursor, ...target], { cwd: entry.root });
        expect(r.code, r.stderr).toBe(0);
        seen.push(...r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>));
        const next = /next page: --cursor (\S+)\n$/.exec(r.stderr);
        if (next === null) {
          expect(r.stderr).toBe("1 documents; that is the last page\n");
          break;
        }
        expect(page).toBe(0);
        cursor = ["--cursor", next[1]!];
      }
      expect(seen.map((d) => d.id)).toEqual(["d0", "d1", "d2", "d3"]);
      expect(seen[3]).toMatchObject({ text: "glaciers carve deep valleys", metadata: { lang: "en", source: { site: "wiki" } } });
      expect(seen[0]).toEqual({ id: "d0", metadata: null, vector: { terms: [7, 9], weights: [1, 2] } });
      const filtered = await sparsedb(["scroll", "--filter", '{"lang": "en"}', "--no-vectors", "--json", ...target], { cwd: entry.root });
      expect(filtered.code, filtered.stderr).toBe(0);
      const page = JSON.parse(filtered.stdout) as { documents: Record<string, unknown>[]; nextCursor: string | null };
      expect(page.nextCursor).toBeNull();
      expect(page.documents.map((d) => d.id)).toEqual(["d2", "d3"]);
      expect(page.documents.every((d) => !("vector" in d))).toBe(true);
    }
  });

  it("refuses bad input as the library does, and bad flags as usage errors", async () => {
    const c = await entry.db.collection("docs");
    await expectCliError(entry, ["scroll", "--cursor", "nope"], await errorOf(c.scroll({ limit: 10, cursor: "nope" })));
    await expectCliError(entry, ["scroll", "--filter", '{"lang": {"near": 1}}'], await errorOf(c.scroll({ limit: 10, filter: { lang: { near: 1 } } as never })));
    for (const [args, message] of [
      [["--limit", "0"], /--limit must be an integer in 1\.\.10000, got "0"/],
      [["--filter", "{lang"], /--filter is not valid JSON/],
      [["page2"], /scroll takes no arguments \(got "page2"\); the next page is --cursor C/],
    ] as const) {
      const r = await sparsedb(["scroll", ...args, ...where()[0]!], { cwd: entry.root });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it("a server's maxBatchDocs bounds a page, with the server's LIMIT_EXCEEDED", async () => {
    const small = await openEntryPoints("sparsedb-scroll-cli-limit-", DOCS, { limits: { maxBatchDocs: 2 } });
    try {
      const r = await sparsedb(["scroll", "--limit", "3", "--connect", `127.0.0.1:${small.server.port}`, "-c", "docs"], { cwd: small.root });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/LIMIT_EXCEEDED: .*2/);
    } finally {
      await small.close();
    }
  });
});
