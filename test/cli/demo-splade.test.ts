import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateModelFolder } from "../../encoder/model-gen/generate-model.js";
import { sparsedb } from "./cli-harness.js";

/** The SPLADE path of the demo, with a tiny generated model (the encoder's workers run from dist/). */
const WORKER = join(import.meta.dirname, "..", "..", "dist", "encoder", "encoder-worker.js");

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-demo-splade-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe.skipIf(!existsSync(WORKER))("sparsedb demo with a SPLADE model", () => {
  it("uses the configured model (SPARSEDB_MODEL) and says so", async () => {
    const model = join(cwd, "tiny-splade");
    generateModelFolder(model, { size: "tiny", weights: "random", seed: 3 });
    const r = await sparsedb(["demo", "--dir", "demo-db"], { cwd, env: { SPARSEDB_MODEL: model } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/A SPLADE model is configured/);
    expect(r.stdout).toMatch(/Encoder: .*SPLADE/i);
    expect(r.stdout).toMatch(/52 documents in/);
    expect(r.stdout).toMatch(/over TCP/);
  }, 120_000);
});
