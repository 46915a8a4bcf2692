import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SparseDbError } from "../engine/errors.js";

/** The files of a Hugging Face model folder that sparsedb uses. */
export interface ModelFolder {
  dir: string;
  /** model.onnx, or onnx/model.onnx (optimum's layout). */
  modelPath: string;
  tokenizerPath: string;
  /** config.json when present (vocab_size is checked against the tokenizer). */
  config: Record<string, unknown> | undefined;
}

export const MODEL_FILE_CANDIDATES = ["model.onnx", "onnx/model.onnx"] as const;

/** How each kind of model is exported, for the message about a folder that lacks its ONNX file. */
const EXPORT_HINTS = {
  splade: "a SPLADE model folder needs an ONNX export (e.g. `optimum-cli export onnx --task fill-mask`) and its tokenizer.json",
  dense: "a dense encoder's folder needs an ONNX export with a last_hidden_state output (e.g. `optimum-cli export onnx --task feature-extraction`) and its tokenizer.json",
} as const;

/** Finds the model files in `dir`; a clear error names what is missing and how to get it. */
export function resolveModelFolder(dir: string, kind: keyof typeof EXPORT_HINTS = "splade"): ModelFolder {
  if (typeof dir !== "string" || dir === "") {
    throw new SparseDbError("INVALID_ARGUMENT", "modelDir must be the path of a model folder (model.onnx or onnx/model.onnx, tokenizer.json)");
  }
  if (!existsSync(dir)) {
    throw new SparseDbError("ENCODER_FILE_NOT_FOUND", `model folder ${dir} does not exist; download one with \`sparsedb model pull <repo>\` or pass the folder of an exported model`);
  }
  const modelPath = MODEL_FILE_CANDIDATES.map((f) => join(dir, f)).find((p) => existsSync(p));
  const tokenizerPath = join(dir, "tokenizer.json");
  const missing: string[] = [];
  if (modelPath === undefined) missing.push("model.onnx (or onnx/model.onnx)");
  if (!existsSync(tokenizerPath)) missing.push("tokenizer.json");
  if (missing.length > 0) {
    throw new SparseDbError(
      "ENCODER_FILE_NOT_FOUND",
      `model folder ${dir} lacks ${missing.join(" and ")}; ${EXPORT_HINTS[kind]}`,
    );
  }
  let config: Record<string, unknown> | undefined;
  const configPath = join(dir, "config.json");
  if (existsSync(configPath)) {
    try {
      config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new SparseDbError("ENCODER_ERROR", `${configPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  return { dir, modelPath: modelPath!, tokenizerPath, config };
}
