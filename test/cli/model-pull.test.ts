import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateModelFolder } from "../../encoder/model-gen/generate-model.js";
import { startFakeHub, type FakeHub } from "../encoder/fake-hub.js";
import { sparsedb } from "./cli-harness.js";

let cwd: string;
let hub: FakeHub | undefined;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sparsedb-pull-"));
});
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await rm(cwd, { recursive: true, force: true });
});

describe("sparsedb model pull", () => {
  it("downloads a model folder from a hub mirror on 127.0.0.1", async () => {
    const source = join(cwd, "source");
    generateModelFolder(source, { size: "tiny", weights: "random", seed: 5, onnxSubfolder: true });
    hub = await startFakeHub(source, "acme/tiny-splade", "main", { lfs: ["onnx/model.onnx"] });
    const r = await sparsedb(["model", "pull", "acme/tiny-splade", "--base-url", hub.url, "--dir", "models/tiny"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model acme\/tiny-splade is in .*models\/tiny/);
    expect(r.stdout).toMatch(/use it with --model/);
    expect(existsSync(join(cwd, "models", "tiny", "onnx", "model.onnx"))).toBe(true);
    expect(existsSync(join(cwd, "models", "tiny", "tokenizer.json"))).toBe(true);
    // Again, without --overwrite: a failure (1), not bad usage.
    const again = await sparsedb(["model", "pull", "acme/tiny-splade", "--base-url", hub.url, "--dir", "models/tiny"], { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ALREADY_EXISTS/);
    expect((await sparsedb(["model", "pull"], { cwd })).code).toBe(2);
    expect((await sparsedb(["model", "fetch", "x/y"], { cwd })).code).toBe(2);
  }, 60_000);
});
