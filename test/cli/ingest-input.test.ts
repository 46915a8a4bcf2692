import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeBatches } from "../../engine/cli/ingest-sink.js";
import { Database } from "../../engine/database.js";
import type { DocumentInput } from "../../engine/requests.js";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-ingest-input-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const docLine = (i: number) => JSON.stringify({ id: `d${i}`, text: `passage ${i} on glaciers` });

async function collections(): Promise<string[]> {
  const db = await Database.open(join(cwd, "db"));
  try {
    return db.listCollections().map((c) => c.name);
  } finally {
    await db.close();
  }
}

describe("sparsedb ingest: runs that write nothing", () => {
  it("--on-error skip that skipped every line fails and leaves no new collection", async () => {
    await writeFile(join(cwd, "bad.jsonl"), "not json\n{\"id\": 1}\n[]\n");
    const r = await sparsedb(["ingest", "--dir", "db", "--on-error", "skip", "bad.jsonl"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ingest failed: every line of bad\.jsonl was bad \(3 skipped\); nothing was written/);
    expect(r.stderr).toMatch(/removed collection "default", which this run created: nothing was written to it/);
    expect(r.stdout).toBe("");
    expect(await collections()).toEqual([]);
  });

  it("an empty file fails too; an existing collection stays whatever happens", async () => {
    await writeFile(join(cwd, "empty.jsonl"), "\n\n");
    const r = await sparsedb(["ingest", "--dir", "db", "empty.jsonl"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/empty\.jsonl holds no documents; nothing was written/);
    expect(await collections()).toEqual([]);

    expect((await sparsedb(["collections", "create", "kept", "--dir", "db"], { cwd })).code).toBe(0);
    await writeFile(join(cwd, "bad.jsonl"), "not json\n");
    const skip = await sparsedb(["ingest", "--dir", "db", "-c", "kept", "--on-error", "skip", "bad.jsonl"], { cwd });
    expect(skip.code).toBe(1);
    expect(skip.stderr).not.toMatch(/removed collection/);
    const stop = await sparsedb(["ingest", "--dir", "db", "-c", "kept", "bad.jsonl"], { cwd });
    expect(stop.code).toBe(1);
    expect(await collections()).toEqual(["kept"]);
  });

  it("a failure after some commits says what was written and keeps the collection", async () => {
    const lines = Array.from({ length: 4 }, (_, i) => docLine(i));
    lines.push(JSON.stringify({ id: "x".repeat(2000), text: "too long an id" }), docLine(5));
    await writeFile(join(cwd, "docs.jsonl"), lines.join("\n") + "\n");
    const r = await sparsedb(["ingest", "--dir", "db", "--segment-docs", "2", "--on-error", "skip", "docs.jsonl"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ingest failed: INVALID_ARGUMENT: .*id/);
    expect(r.stderr).toMatch(/4 documents written \(durable through docs\.jsonl:4\)/);
    expect(r.stderr).toMatch(/collection "default" \(created by this run\) keeps the 4 documents written/);
    const db = await Database.open(join(cwd, "db"));
    expect(await (await db.collection("default")).count()).toBe(4);
    await db.close();
  });
});

describe("sparsedb ingest: input files", () => {
  it("accepts a UTF-8 byte order mark at the start of a file", async () => {
    await writeFile(join(cwd, "bom.jsonl"), "\uFEFF" + docLine(0) + "\n" + docLine(1) + "\n");
    const j = await sparsedb(["ingest", "--dir", "db", "-c", "j", "bom.jsonl"], { cwd });
    expect(j.code, j.stderr).toBe(0);
    await writeFile(join(cwd, "bom.tsv"), "\uFEFF7\tthe first passage\n8\tthe second\n");
    const t = await sparsedb(["ingest", "--dir", "db", "-c", "t", "--format", "msmarco", "bom.tsv"], { cwd });
    expect(t.code, t.stderr).toBe(0);
    const g = await sparsedb(["get", "--dir", "db", "-c", "t", "7"], { cwd }); // the id is "7", not "\uFEFF7"
    expect(g.code, g.stderr).toBe(0);
  });

  it("a truncated .gz names the file and the line it broke after, and leaves nothing behind", async () => {
    const text = Array.from({ length: 400 }, (_, i) => docLine(i)).join("\n") + "\n";
    const gz = gzipSync(text);
    await writeFile(join(cwd, "cut.jsonl.gz"), gz.subarray(0, Math.floor(gz.length * 0.6)));
    for (const onError of ["stop", "skip"]) {
      const r = await sparsedb(["ingest", "--dir", "db", "--wal", "--on-error", onError, "cut.jsonl.gz"], { cwd });
      expect(r.code, onError).toBe(1);
      expect(r.stderr).toMatch(/CORRUPTION: .*cut\.jsonl\.gz: gzip data is corrupt or truncated after line \d+ \(unexpected end of file\)/);
    }
    expect(await collections()).toEqual([]);
  });

  it("draws progress on a terminal from the first document on, the check pass included", async () => {
    await writeFile(join(cwd, "docs.jsonl"), Array.from({ length: 5 }, (_, i) => docLine(i)).join("\n") + "\n");
    const r = await sparsedb(["ingest", "--dir", "db", "docs.jsonl"], { cwd, tty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\ringest default: checking \[[^\]]*\]\s+[\d.]+% 1 lines /);
    expect(r.stderr).toMatch(/\ringest default \[[^\]]*\]\s+[\d.]+% 1 docs .*\(0 written\)/);
    expect(r.stderr).toMatch(/\ringest default \[=+\] 100\.0% 5 docs .* 5 written/);
  });

  it("off a terminal prints one progress line at the end, not one a phase or a few seconds", async () => {
    await writeFile(join(cwd, "docs.jsonl"), Array.from({ length: 5 }, (_, i) => docLine(i)).join("\n") + "\n");
    const r = await sparsedb(["ingest", "--dir", "db", "--wal", "--batch", "2", "docs.jsonl"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const progressLines = r.stderr.split("\n").filter((l) => l.startsWith("ingest default"));
    expect(progressLines).toEqual([expect.stringMatching(/^ingest default: 5 docs 100\.0% in \d+:\d\d, \d+ docs\/s, 5 written$/)]);
    expect(r.stderr).not.toMatch(/\r/);
  });
});

describe("writeBatches (the sink's batch writer)", () => {
  it("keeps at most maxInFlight writes unacknowledged and writes every document once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), async (n, batchSize, maxInFlight) => {
        let inFlight = 0, most = 0;
        const seen: string[] = [];
        const fake = {
          async upsert(docs: DocumentInput[]): Promise<void> {
            inFlight++;
            most = Math.max(most, inFlight);
            seen.push(...docs.map((d) => d.id));
            await new Promise((r) => setImmediate(r));
            inFlight--;
          },
        };
        async function* docs(): AsyncGenerator<DocumentInput> {
          for (let i = 0; i < n; i++) yield { id: `d${i}`, text: "x" };
        }
        const reported: number[] = [];
        await writeBatches(fake as never, docs(), { batchSize, maxInFlight }, (t) => reported.push(t), () => false);
        expect(most).toBeLessThanOrEqual(maxInFlight);
        expect(seen).toEqual(Array.from({ length: n }, (_, i) => `d${i}`));
        expect(reported.at(-1) ?? 0).toBe(n);
      }),
      { numRuns: 40 },
    );
  });

  it("stops reading at the first failed write and throws it after the others end", async () => {
    let pulled = 0;
    const fake = {
      async upsert(docs: DocumentInput[]): Promise<void> {
        if (docs[0]!.id === "d4") throw new Error("disk full");
      },
    };
    async function* docs(): AsyncGenerator<DocumentInput> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield { id: `d${i}`, text: "x" };
      }
    }
    let written = 0;
    await expect(writeBatches(fake as never, docs(), { batchSize: 2, maxInFlight: 1 }, (t) => (written = t), () => false)).rejects.toThrow(/disk full/);
    expect(written).toBe(4);
    expect(pulled).toBeLessThan(10);
  });
});
