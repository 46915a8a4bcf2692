import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { SparseDbError } from "../errors.js";

/**
 * One process at a time may open a database folder. The lock file holds the owner's pid; a lock
 * whose process is gone (a crash) is stale and taken over, so the lock survives a crash.
 */
export const LOCK_FILE = "sparsedb.lock";

export class DatabaseLock {
  private constructor(private readonly path: string) {}

  static async acquire(dir: string): Promise<DatabaseLock> {
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, "wx");
        try {
          await fh.writeFile(String(process.pid));
          await fh.sync();
        } finally {
          await fh.close();
        }
        return new DatabaseLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new SparseDbError("IO_ERROR", `cannot create ${path}: ${(e as Error).message}`, { cause: e });
        }
      }
      const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new SparseDbError(
          "LOCKED",
          `database ${dir} is open in process ${owner}; close it there first (or query that process's server)`,
        );
      }
      if (owner === process.pid) {
        throw new SparseDbError("LOCKED", `database ${dir} is already open in this process; reuse that Database object`);
      }
      await unlink(path).catch(() => undefined); // stale: its process is gone
    }
    throw new SparseDbError("LOCKED", `cannot take the lock ${path}; another process keeps taking it`);
  }

  async release(): Promise<void> {
    await unlink(this.path).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
