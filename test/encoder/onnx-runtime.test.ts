import { describe, expect, it } from "vitest";
import { loadOnnxRuntime } from "../../encoder/onnx/onnx-runtime.js";

describe("ONNX Runtime, an optional peer dependency loaded on first use", () => {
  it("loads onnxruntime-node when it is installed (a devDependency here)", async () => {
    const ort = await loadOnnxRuntime();
    expect(typeof ort.InferenceSession.create).toBe("function");
    expect(await loadOnnxRuntime()).toBe(ort);
  });

  it("a missing package is an ENCODER_ERROR that says how to add it, offline included", async () => {
    const missing = "onnxruntime-node-not-installed-" + process.pid;
    const err = await loadOnnxRuntime(missing).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ENCODER_ERROR" });
    const message = (err as Error).message;
    expect(message).toContain(`${missing} is not installed`);
    expect(message).toContain("npm install onnxruntime-node");
    expect(message).toContain("--onnxruntime-node-install=skip");
    expect(message).toContain(".npmrc");
    expect(message).toMatch(/bm25/);
  });

  it("a package that is not ONNX Runtime is refused by what it lacks", async () => {
    await expect(loadOnnxRuntime("msgpackr")).rejects.toMatchObject({ code: "ENCODER_ERROR", message: expect.stringMatching(/does not export InferenceSession/) });
  });
});
