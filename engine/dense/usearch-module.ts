import { createRequire } from "node:module";
import { SparseDbError } from "../errors.js";

/**
 * The optional `usearch` package (HNSW, Unum), loaded on first use so that sparsedb installs and
 * runs without it; only collections whose dense index is "hnsw" need it.
 *
 * API:
 *   USEARCH_PACKAGE, USEARCH_INSTALL_HINT
 *   loadUsearch(specifier?): Promise<UsearchModule>   cached; a failed load is retried next time
 *
 * It is loaded with `require` (createRequire), not `import()`: usearch 2.25's ESM entry point
 * looks for its native build from a file:// URL and recurses until the stack overflows; its
 * CommonJS entry point works. The interface below is the part of usearch's `Index` used here.
 */
export interface UsearchIndexConfig {
  dimensions: number;
  metric: "ip" | "l2sq" | "cos";
  quantization: "f32" | "f16" | "i8";
  connectivity: number;
  expansion_add: number;
  expansion_search: number;
  multi: boolean;
}

export interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
  size(): number;
  dimensions(): number;
  connectivity(): number;
  save(path: string): void;
  load(path: string): void;
}

export interface UsearchModule {
  Index: new (config: UsearchIndexConfig) => UsearchIndex;
}

export const USEARCH_PACKAGE = "usearch";

export const USEARCH_INSTALL_HINT = "index 'hnsw' needs the optional package usearch: npm install usearch@2.25";

const loaded = new Map<string, Promise<UsearchModule>>();

/** `specifier` is for tests only (a missing package simulated by a name that is not installed). */
export function loadUsearch(specifier: string = USEARCH_PACKAGE): Promise<UsearchModule> {
  let p = loaded.get(specifier);
  if (p === undefined) {
    p = requireUsearch(specifier);
    loaded.set(specifier, p);
    // Not cached when it fails: installing the package and retrying works in the same process.
    p.catch(() => loaded.delete(specifier));
  }
  return p;
}

async function requireUsearch(specifier: string): Promise<UsearchModule> {
  let mod: Partial<UsearchModule> & { default?: UsearchModule };
  try {
    mod = createRequire(import.meta.url)(specifier) as typeof mod;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === "MODULE_NOT_FOUND" || e.code === "ERR_MODULE_NOT_FOUND") && e.message.includes(specifier)) {
      throw new SparseDbError("UNAVAILABLE", `${USEARCH_INSTALL_HINT} (${specifier} is not installed)`, { cause: err });
    }
    throw new SparseDbError("UNAVAILABLE", `${specifier} is installed but cannot be loaded (${e.message}); ${USEARCH_INSTALL_HINT} (reinstall it for this platform)`, { cause: err });
  }
  const usearch = (mod.Index !== undefined ? mod : mod.default) as UsearchModule | undefined;
  if (typeof usearch?.Index !== "function") throw new SparseDbError("UNAVAILABLE", `${specifier} does not export Index; ${USEARCH_INSTALL_HINT}`);
  return usearch;
}
