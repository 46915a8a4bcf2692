import { afterAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";
import { tempModel } from "../encoder/model-fixtures.js";
import { sparsedb } from "../cli/cli-harness.js";

/** The SPLADE encoder's workers run from dist/ (npm run build) on onnxruntime-node; without either this file skips. */
const WORKER = join(import.meta.dirname, "..", "..", "dist", "encoder", "encoder-worker.js");
const ONNX_RUNTIME = (() => {
  try {
    createRequire(import.meta.url).resolve("onnxruntime-node");
    return true;
  } catch {
    return false;
  }
})();
const tok = WordPieceTokenizer.builtin();

describe.skipIf(!existsSync(WORKER) || !ONNX_RUNTIME)("encode with a SPLADE model (a generated ONNX model, the real ONNX path)", () => {
  const modelDir = tempModel({ size: "tiny", weights: "hand-set" });
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });

  it("marks exactly the tokens that are not the text's own word pieces as expansion terms, in the library and the CLI", async () => {
    const root = await mkdtemp(join(tmpdir(), "sparsedb-encode-splade-"));
    roots.push(root);
    const text = SAMPLE_TEXTS[0]!;
    const own = new Set(tok.contentIds(text));
    const db = await Database.open(join(root, "db"));
    try {
      const c = await db.createCollection("splade", { metric: "cosine", encoder: { kind: "splade", modelDir, workers: 1 } });
      const e = await c.encode(text);
      expect(e.nnz).toBe(e.tokens.length);
      for (const t of e.tokens) expect(t.expansion, t.token).toBe(!own.has(t.termId));
      expect(e.expansionTerms).toBe(e.tokens.filter((t) => !own.has(t.termId)).length);
      // The generated model expands: the check above covers both kinds of token.
      expect(e.expansionTerms).toBeGreaterThan(0);
      expect(e.expansionTerms).toBeLessThan(e.nnz);
      // The vector is the model's: the one an upsert stores, up to the cosine collection's scaling.
      await c.upsert([{ id: "d", text }]);
      const stored = (await c.get("d"))!.vector;
      expect(stored.nnz).toBe(e.nnz);
      const norm = Math.hypot(...e.tokens.map((t) => t.weight));
      const storedMap = stored.toTermMap();
      for (const t of e.tokens) expect(storedMap[t.termId]).toBeCloseTo(t.weight / norm, 6);
    } finally {
      await db.close();
    }
    const r = await sparsedb(["encode", text, "--dir", join(root, "db"), "-c", "splade"], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\{'[^']+': \d+\.\d\d, .*\}\n\d+ non-zero terms \(document vector\); \d+ expansion terms? not in the text: '/);
  }, 120_000);
});
