import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeCodeBlock } from "./readme-blocks.js";

// The package as a user gets it: `npm pack`, then `npm install <tarball>` into a fresh app with
// no .npmrc (so nothing skips onnxruntime-node's GPU download; it must not be installed at all),
// then the README's first Library example, run verbatim. Slow (an npm install): tens of seconds.

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const npmVersion = spawnSync("npm", ["--version"], { encoding: "utf8" });
const HAVE_NPM = npmVersion.status === 0;
if (!HAVE_NPM) console.warn(`test/package: skipped, npm is not available (${npmVersion.error?.message ?? npmVersion.stderr})`);

/** The environment of a user's shell: no npm_* variables inherited from `npm test`, no ONNX Runtime install flags. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || /^ONNXRUNTIME_NODE_INSTALL/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: userEnv(), encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!HAVE_NPM)("the packed tarball in a fresh app", () => {
  let work = "";
  let app = "";
  let files: string[] = [];
  let packed: Record<string, unknown> = {};

  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist", "engine", "index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does) before this test");
    work = mkdtempSync(join(tmpdir(), "sparsedb-package-"));
    // --ignore-scripts: dist/ is already built (npm test runs tsc first); prepare would rebuild it.
    const out = ok(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], ROOT), "npm pack");
    const info = (JSON.parse(out.slice(out.indexOf("["))) as { filename: string; files: { path: string }[] }[])[0]!;
    files = info.files.map((f) => f.path);
    app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "fresh-app", version: "1.0.0", private: true }));
    ok(run("npm", ["install", join(work, info.filename), "--no-audit", "--no-fund", "--prefer-offline"], app), "npm install of the tarball");
    packed = JSON.parse(readFileSync(join(app, "node_modules", "sparsedb", "package.json"), "utf8")) as Record<string, unknown>;
  }, 240_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("carries what users need and nothing else", () => {
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/engine/index.js",
      "dist/engine/index.d.ts",
      "dist/engine/cli/main.js",
      "dist/encoder/encoder-worker.js",
      "dist/engine/collection/segment-build-worker.js",
      "encoder/vocab/bert-base-uncased/vocab.txt",
      "encoder/vocab/bert-base-uncased/tokenizer-config.json",
      "encoder/vocab/bert-base-uncased/NOTICE.md",
      "encoder/vocab/bert-base-uncased/LICENSE",
    ]) {
      expect(files, f).toContain(f);
    }
    const unwanted = files.filter((f) => /^(test|bench|scripts|\.ci|dist\/test|dist\/bench|dist\/scripts|node_modules)\//.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) || /\.map$/.test(f));
    expect(unwanted).toEqual([]);
    // Both native packages are optional: ONNX Runtime for SPLADE models, usearch for HNSW dense indexes.
    expect(packed.peerDependencies).toEqual({ "onnxruntime-node": expect.any(String), usearch: expect.any(String) });
    expect(packed.peerDependenciesMeta).toEqual({ "onnxruntime-node": { optional: true }, usearch: { optional: true } });
    expect(Object.keys(packed.dependencies as object)).not.toContain("onnxruntime-node");
    expect(Object.keys(packed.dependencies as object)).not.toContain("usearch");
  });

  it("installs without ONNX Runtime, usearch or TypeScript", () => {
    expect(existsSync(join(app, "node_modules", "sparsedb", "dist", "engine", "index.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules", "onnxruntime-node"))).toBe(false);
    expect(existsSync(join(app, "node_modules", "usearch"))).toBe(false);
    expect(existsSync(join(app, "node_modules", "typescript"))).toBe(false);
  });

  it("runs the README's first Library example verbatim, and it prints its hits", () => {
    writeFileSync(join(app, "readme-library.mjs"), readmeCodeBlock(join(ROOT, "README.md"), "## Library"));
    const out = ok(run(process.execPath, ["readme-library.mjs"], app, 60_000), "the README's Library example");
    expect(out).toMatch(/id: 'a'/);
    expect(out).toMatch(/score: \d/);
    expect(out).toMatch(/metadata: \{ lang: 'en', year: 2021 \}/);
    expect(out).toMatch(/explain: \[/);
  }, 120_000);

  it("a SPLADE collection without onnxruntime-node fails clearly, saying how to add it", () => {
    writeFileSync(
      join(app, "splade.mjs"),
      `import { Database } from "sparsedb";
const db = await Database.open("./splade-db");
let error = null;
try { await db.createCollection("s", { encoder: { kind: "splade", modelDir: "./models/none" } }); } catch (e) { error = { code: e.code, message: e.message }; }
console.log(JSON.stringify({ error, collections: db.listCollections().length }));
await db.close();
`,
    );
    const result = JSON.parse(ok(run(process.execPath, ["splade.mjs"], app, 60_000), "the SPLADE script").trim()) as { error: { code: string; message: string }; collections: number };
    expect(result.error.code).toBe("ENCODER_ERROR");
    expect(result.error.message).toContain("onnxruntime-node is not installed");
    expect(result.error.message).toContain("npm install onnxruntime-node");
    expect(result.error.message).toContain("--onnxruntime-node-install=skip");
    expect(result.collections).toBe(0);
  }, 120_000);

  it("an HNSW dense collection without usearch fails clearly, saying how to add it; a flat one works", () => {
    writeFileSync(
      join(app, "hnsw.mjs"),
      `import { Database } from "sparsedb";
const db = await Database.open("./hnsw-db");
let error = null;
try { await db.createCollection("h", { dense: { dims: 2, metric: "dot", index: "hnsw" } }); } catch (e) { error = { code: e.code, message: e.message }; }
const flat = await db.createCollection("f", { dense: { dims: 2, metric: "dot", index: "flat" } });
await flat.upsert([{ id: "a", dense: [1, 0] }, { id: "b", dense: [0, 1] }]);
const hits = await flat.search({ dense: [0.2, 0.9], k: 1 });
console.log(JSON.stringify({ error, collections: db.listCollections().length, top: hits[0].id }));
await db.close();
`,
    );
    const result = JSON.parse(ok(run(process.execPath, ["hnsw.mjs"], app, 60_000), "the HNSW script").trim()) as { error: { code: string; message: string } | null; collections: number; top: string };
    expect(result.error).not.toBeNull();
    expect(result.error!.message).toContain("npm install usearch");
    expect(result.collections).toBe(1);
    expect(result.top).toBe("b");
  }, 120_000);

  it("the sparsedb command works: --encoder bm25 uses the built-in BERT vocabulary, and bench says it needs the repository", () => {
    const bin = join(app, "node_modules", ".bin", "sparsedb");
    writeFileSync(join(app, "docs.jsonl"), ['{"id":"d1","text":"Orangutans live in the rainforests of Borneo"}', '{"id":"d2","text":"Coffee prices depend on the weather in Brazil"}'].join("\n") + "\n");
    ok(run(bin, ["ingest", "--dir", "cli-db", "-c", "docs", "--encoder", "bm25", "docs.jsonl"], app, 60_000), "sparsedb ingest");
    expect(ok(run(bin, ["search", "--dir", "cli-db", "-c", "docs", "coffee in brazil"], app, 60_000), "sparsedb search")).toMatch(/1\. d2 /);
    const stats = JSON.parse(ok(run(bin, ["stats", "--dir", "cli-db"], app, 60_000), "sparsedb stats")) as { collections: { docs: { encoder: string } } };
    expect(stats.collections.docs.encoder).toMatch(/bert-base-uncased, built in\) \(30522 terms\)/);
    const bench = run(bin, ["bench", "retrieval"], app, 60_000);
    expect(bench.status).toBe(1);
    expect(bench.stderr).toMatch(/not part of the installed sparsedb package: clone the repository/);
  }, 120_000);
});
