import { SparseDbError } from "../../engine/errors.js";

/** The onnxruntime-node module (types only here: the package is loaded on demand). */
export type OnnxRuntime = typeof import("onnxruntime-node");

export const ONNX_RUNTIME_PACKAGE = "onnxruntime-node";

/** What to tell a user whose app lacks ONNX Runtime. */
export const ONNX_RUNTIME_INSTALL_HINT =
  "SPLADE and dense models run on ONNX Runtime, an optional peer dependency of sparsedb: add it to your app with `npm install onnxruntime-node` " +
  "(offline or without a GPU, skip its download of GPU binaries: `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`, " +
  "`npm install onnxruntime-node --onnxruntime-node-install=skip`, or `onnxruntime-node-install=skip` in .npmrc); " +
  'the lexical encoders ({kind: "bm25"}, the default, and "inference-free") do not need it';

const loaded = new Map<string, Promise<OnnxRuntime>>();

/**
 * Loads ONNX Runtime on first use (a dynamic import), so that sparsedb installs and runs its
 * lexical encoders without it. A missing package is an ENCODER_ERROR that says how to add it.
 * `specifier` is for tests only.
 */
export function loadOnnxRuntime(specifier: string = ONNX_RUNTIME_PACKAGE): Promise<OnnxRuntime> {
  let p = loaded.get(specifier);
  if (p === undefined) {
    p = importRuntime(specifier);
    loaded.set(specifier, p);
    // A failed load is not cached: installing the package and retrying works in the same process.
    p.catch(() => loaded.delete(specifier));
  }
  return p;
}

async function importRuntime(specifier: string): Promise<OnnxRuntime> {
  let mod: { default?: OnnxRuntime } & Partial<OnnxRuntime>;
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === "ERR_MODULE_NOT_FOUND" || e.code === "MODULE_NOT_FOUND") && e.message.includes(specifier)) {
      throw new SparseDbError("ENCODER_ERROR", `${specifier} is not installed. ${ONNX_RUNTIME_INSTALL_HINT}`, { cause: err });
    }
    throw new SparseDbError(
      "ENCODER_ERROR",
      `${specifier} is installed but cannot be loaded (${e.message}); reinstall it for this platform (\`npm install onnxruntime-node\`)`,
      { cause: err },
    );
  }
  // A CommonJS package: its exports arrive as the default export.
  const ort = (mod.default ?? mod) as OnnxRuntime;
  if (typeof ort.InferenceSession?.create !== "function") {
    throw new SparseDbError("ENCODER_ERROR", `${specifier} does not export InferenceSession; install onnxruntime-node (\`npm install onnxruntime-node\`)`);
  }
  return ort;
}
