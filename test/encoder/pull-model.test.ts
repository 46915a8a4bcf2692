import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pullModel, type PullProgress } from "../../encoder/pull-model.js";
import { formatProgress } from "../../encoder/progress-bar.js";
import { createEncoder } from "../../encoder/create-encoder.js";
import { startFakeHub, type FakeHub } from "./fake-hub.js";
import { tempModel } from "./model-fixtures.js";

const source = tempModel({ size: "tiny", weights: "hand-set", onnxSubfolder: true });
const REPO = "sparsedb-test/tiny-splade";
let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});
const target = () => join(mkdtempSync(join(tmpdir(), "sparsedb-pull-")), "models", "tiny");

describe("model pull from a hub (local stand-in on 127.0.0.1)", () => {
  it("downloads the model folder with checks, places it atomically, and it loads", async () => {
    hub = await startFakeHub(source, REPO, "v1", { lfs: ["onnx/model.onnx"] });
    const dir = target();
    const progress: PullProgress[] = [];
    const result = await pullModel(REPO, { revision: "v1", dir, baseUrl: hub.url, onProgress: (p) => progress.push(p) });
    expect(result.dir).toBe(dir);
    expect(result.commit).toBe("0123456789abcdef0123456789abcdef01234567");
    expect(result.files.map((f) => [f.name, f.checked])).toEqual([
      ["onnx/model.onnx", "sha256"],
      ["tokenizer.json", "git-sha1"],
      ["config.json", "git-sha1"],
    ]);
    for (const f of ["onnx/model.onnx", "tokenizer.json", "config.json"]) {
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(source, f)))).toBe(true);
    }
    expect(existsSync(`${dir}.partial`)).toBe(false);
    expect(progress.filter((p) => p.done).map((p) => p.file)).toEqual(["onnx/model.onnx", "tokenizer.json", "config.json"]);
    const enc = await createEncoder({ kind: "splade", modelDir: dir, workers: 1 });
    expect((await enc.encodeDocuments(["honey bees"]))[0]!.nnz).toBeGreaterThan(0);
    await enc.close();
    await expect(pullModel(REPO, { revision: "v1", dir, baseUrl: hub.url })).rejects.toThrow(/already exists/);
  });

  it("resumes a broken download with a Range request", async () => {
    hub = await startFakeHub(source, REPO, "main", { lfs: ["onnx/model.onnx"], breakOnce: { file: "onnx/model.onnx", afterBytes: 100_000 } });
    const dir = target();
    await expect(pullModel(REPO, { dir, baseUrl: hub.url })).rejects.toThrow(/broke off.*run the pull again to resume/);
    expect(existsSync(dir)).toBe(false);
    const result = await pullModel(REPO, { dir, baseUrl: hub.url });
    // It asks for the rest of what reached the disk before the break.
    expect(hub.ranges).toHaveLength(1);
    const from = Number(/^onnx\/model\.onnx bytes=(\d+)-$/.exec(hub.ranges[0]!)![1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(100_000);
    expect(result.files[0]).toMatchObject({ name: "onnx/model.onnx", checked: "sha256" });
    expect(readFileSync(join(dir, "onnx/model.onnx")).equals(readFileSync(join(source, "onnx/model.onnx")))).toBe(true);
  });

  it("refuses a file whose hash does not match, and names a repo without an ONNX export", async () => {
    hub = await startFakeHub(source, REPO, "main", { lfs: ["onnx/model.onnx"], corrupt: ["onnx/model.onnx"] });
    const dir = target();
    await expect(pullModel(REPO, { dir, baseUrl: hub.url })).rejects.toThrow(/does not match the sha256/);
    expect(existsSync(dir)).toBe(false);
    await expect(pullModel("someone/no-such-model", { dir, baseUrl: hub.url })).rejects.toThrow(/has no ONNX export/);
    await expect(pullModel("not a repo!", { dir, baseUrl: hub.url })).rejects.toThrow(/not a hub repository name/);
    await expect(pullModel(REPO, { dir, baseUrl: "http://127.0.0.1:1" })).rejects.toThrow(/cannot reach/);
  });

  it("draws a progress bar", () => {
    expect(formatProgress({ file: "model.onnx", received: 50e6, total: 100e6, done: false }, 2e6, 10)).toBe("model.onnx [#####.....] 50% 50.0/100.0 MB 2.0 MB/s");
  });
});
