import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root: the nearest folder above this file holding package.json. Works both from
 * the TypeScript sources (vitest) and from the compiled dist/ tree.
 */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the sparsedb repository root (no package.json above " + fileURLToPath(import.meta.url) + ")");
    dir = up;
  }
}

/** The shared reference data folder: $SPARSEDB_DATA, or ../shared/data beside the repository. */
export function referenceDataDir(): string {
  return process.env.SPARSEDB_DATA ?? resolve(repositoryRoot(), "..", "shared", "data");
}

/** The real bert-base-uncased tokenizer.json in the reference data, or undefined when absent. */
export function bertTokenizerPath(dataDir: string = referenceDataDir()): string | undefined {
  const p = join(dataDir, "tokenizer", "bert-base-uncased.tokenizer.json");
  return existsSync(p) ? p : undefined;
}

/** The OpenSearch inference-free IDF table in the reference data, or undefined when absent. */
export function inferenceFreeIdfPath(dataDir: string = referenceDataDir()): string | undefined {
  const p = join(dataDir, "idf", "opensearch-inference-free-idf.json");
  return existsSync(p) ? p : undefined;
}
