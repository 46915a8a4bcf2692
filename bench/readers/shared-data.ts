import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SparseDbError } from "../../engine/errors.js";
import { Vocabulary } from "../../engine/vocabulary.js";

/** Where the shared reference data lives, relative to its folder (see ../shared/data/README.md). */
export const BERT_TOKENIZER_PATH = "tokenizer/bert-base-uncased.tokenizer.json";

/** The repository root: the nearest folder above this file that holds a package.json. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The shared data folder: $SPARSEDB_DATA, or ../shared/data beside the repository root. */
export function sharedDataDir(): string {
  const env = process.env["SPARSEDB_DATA"];
  return env !== undefined && env !== "" ? resolve(env) : resolve(repositoryRoot(), "..", "shared", "data");
}

/** A path inside the shared data folder. */
export function sharedDataPath(relative: string): string {
  return join(sharedDataDir(), relative);
}

/** True when a file of the shared data is present (tests skip on false). */
export function hasSharedData(relative: string): boolean {
  return existsSync(sharedDataPath(relative));
}

const vocabularies = new Map<string, Promise<Vocabulary>>();

/**
 * The bert-base-uncased vocabulary (30522 WordPiece terms) read from a tokenizer.json, by
 * default the shared data's. Loaded once per path.
 */
export function loadBertVocabulary(tokenizerPath: string = sharedDataPath(BERT_TOKENIZER_PATH)): Promise<Vocabulary> {
  let cached = vocabularies.get(tokenizerPath);
  if (cached === undefined) {
    cached = readVocabulary(tokenizerPath);
    vocabularies.set(tokenizerPath, cached);
    cached.catch(() => vocabularies.delete(tokenizerPath));
  }
  return cached;
}

async function readVocabulary(path: string): Promise<Vocabulary> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new SparseDbError(
      "NOT_FOUND",
      `cannot read the tokenizer ${path} (${(err as Error).message}); set SPARSEDB_DATA to the shared data folder or pass the tokenizer.json path`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SparseDbError("CORRUPTION", `${path} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return Vocabulary.fromTokenizerJson(json);
}
