import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempDir(prefix = "sparsedb-collection-"): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { dir: join(root, "c"), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
