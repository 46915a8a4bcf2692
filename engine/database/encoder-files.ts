import { isAbsolute, join, resolve } from "node:path";
import type { DenseEncoderConfig, EncoderConfig } from "../../encoder/index.js";
import { SparseDbError } from "../errors.js";
import { replaceFileAtomically, type FileSystem } from "../../storage/file-system.js";

/**
 * A collection's folder holds copies of the small files its encoder reads (a tokenizer.json, an
 * IDF table), so that a database folder is self-contained: it can be moved, copied or opened from
 * any working directory. They live in `<collection>/encoder/`, and the catalog records them by
 * paths relative to the collection's folder. A SPLADE model folder is too large to copy: it is
 * recorded by absolute path, and must stay where it was.
 */
export const ENCODER_FILES_DIR = "encoder";

/** Which config fields name files, and the name each one's copy gets. */
const COPIED_FILES = { tokenizerPath: "tokenizer.json", idfPath: "idf.json" } as const;
type CopiedField = keyof typeof COPIED_FILES;

/**
 * Copies the files `config` names into `collectionDir/encoder/` (relative paths are resolved
 * against `cwd`) and returns the config to persist: copied files by their collection-relative
 * path, a SPLADE modelDir made absolute. The built-in tokenizer is not copied (it ships with
 * sparsedb).
 */
export async function bundleEncoderFiles(fs: FileSystem, config: EncoderConfig, collectionDir: string, cwd: string = process.cwd()): Promise<EncoderConfig> {
  const stored: Record<string, unknown> = { ...config };
  if (config.kind === "splade" && typeof config.modelDir === "string" && config.modelDir !== "") stored.modelDir = resolve(cwd, config.modelDir);
  for (const field of Object.keys(COPIED_FILES) as CopiedField[]) {
    const path = (config as unknown as Record<string, unknown>)[field];
    if (typeof path !== "string" || path === "" || isBuiltin(path)) continue;
    const source = resolve(cwd, path);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(source);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new SparseDbError("ENCODER_FILE_NOT_FOUND", `encoder ${field} ${path} cannot be read (${code}; relative paths are resolved against ${cwd}); pass the path of the file`, { cause: err });
    }
    await fs.mkdir(join(collectionDir, ENCODER_FILES_DIR));
    await replaceFileAtomically(fs, join(collectionDir, ENCODER_FILES_DIR), COPIED_FILES[field], bytes);
    stored[field] = `${ENCODER_FILES_DIR}/${COPIED_FILES[field]}`;
  }
  return stored as unknown as EncoderConfig;
}

/** A persisted encoder config made ready to load: collection-relative paths become absolute. */
export function encoderConfigIn(stored: EncoderConfig, collectionDir: string): EncoderConfig {
  const out: Record<string, unknown> = { ...stored };
  for (const field of Object.keys(COPIED_FILES) as CopiedField[]) {
    const path = out[field];
    if (typeof path === "string" && path !== "" && !isBuiltin(path) && !isAbsolute(path)) {
      out[field] = resolve(collectionDir, path);
    }
  }
  return out as unknown as EncoderConfig;
}

/** The encoder's resolved config (every default filled in) with the file paths as persisted. */
export function withStoredPaths(resolved: EncoderConfig, stored: EncoderConfig): EncoderConfig {
  const out: Record<string, unknown> = { ...resolved };
  for (const field of ["modelDir", ...Object.keys(COPIED_FILES)]) {
    const v = (stored as unknown as Record<string, unknown>)[field];
    if (v !== undefined) out[field] = v;
  }
  return out as unknown as EncoderConfig;
}

/**
 * A dense text encoder's config to persist: by the SPLADE rule, its model folder is too large to
 * copy, so its modelDir is recorded made absolute (relative paths resolved against `cwd`).
 */
export function storedDenseEncoder(config: DenseEncoderConfig, cwd: string = process.cwd()): DenseEncoderConfig {
  return { ...config, modelDir: resolve(cwd, config.modelDir) };
}

/** An error opening a collection's encoder, told in terms of the collection (a moved model folder). */
export function encoderOpenError(err: unknown, collection: string, stored: EncoderConfig | DenseEncoderConfig): unknown {
  if (!(err instanceof SparseDbError) || err.code !== "ENCODER_FILE_NOT_FOUND" || (stored.kind !== "splade" && stored.kind !== "dense")) return err;
  return new SparseDbError(
    err.code,
    `collection "${collection}" encodes with the ${stored.kind === "dense" ? "dense" : "SPLADE"} model folder ${stored.modelDir}, recorded when it was created, and it cannot be loaded: ${err.message}. ` +
      "Model folders are not copied into the database: put the model back at that path",
    { cause: err },
  );
}

/** "builtin:..." names a file shipped with sparsedb (the built-in tokenizer), not a path. */
function isBuiltin(path: string): boolean {
  return path.startsWith("builtin:");
}
