import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { SparseDbError } from "../engine/errors.js";
import { writeFully, type FileSystem } from "./file-system.js";
import { ioError } from "./storage-error.js";

/**
 * One writer per directory. Node has no fcntl/flock binding, so the lock is a LOCK file created
 * with O_CREAT|O_EXCL holding the owner's pid, host and process start time. A SIGKILLed owner
 * leaves the file behind; the next opener sees that the pid is gone (or now belongs to a process
 * started at another time: pid reuse) and takes the lock over. Within one process a registry of
 * held directories catches a second open of the same collection.
 *
 * Limits: a lock held from another host (a shared network disk) cannot be checked and is
 * reported as held; remove LOCK by hand if that host is known dead.
 *
 * Guards a collection directory (file LOCK) and a database folder (file sparsedb.lock, named in
 * engine/database/database-files.ts); `what` names the thing in messages.
 */
export const LOCK_FILE = "LOCK";

export interface LockOptions {
  /** The lock file's name in `dir` (LOCK by default). */
  file?: string;
  /** What the directory is, for messages: "collection" by default. */
  what?: string;
}

const heldInThisProcess = new Set<string>();

interface LockOwner {
  pid: number;
  host: string;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks), or null off Linux. */
  start: string | null;
}

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (owner.start !== null) {
    const now = processStartTime(owner.pid);
    if (now !== null && now !== owner.start) return false; // the pid was reused
  }
  return true;
}

export class DirectoryLock {
  private constructor(private readonly fs: FileSystem, private readonly key: string, private readonly path: string) {}

  static async acquire(fs: FileSystem, dir: string, options: LockOptions = {}): Promise<DirectoryLock> {
    const path = `${dir}/${options.file ?? LOCK_FILE}`;
    const what = options.what ?? "collection";
    const key = resolve(path);
    if (heldInThisProcess.has(key)) {
      throw new SparseDbError("LOCKED", `${what} ${dir} is already open in this process; close it first or share the open instance`);
    }
    const owner: LockOwner = { pid: process.pid, host: hostname(), start: processStartTime(process.pid) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const f = await fs.open(path, "exclusive");
        try {
          await writeFully(f, new TextEncoder().encode(JSON.stringify(owner)), 0);
          await f.sync();
        } finally {
          await f.close();
        }
        heldInThisProcess.add(key);
        return new DirectoryLock(fs, key, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw ioError(`creating lock file ${path}`, e);
      }
      let existing: LockOwner | null = null;
      try {
        existing = JSON.parse((await fs.readFile(path)).toString("utf8")) as LockOwner;
      } catch {
        existing = null; // empty or torn: the owner died while writing it
      }
      if (existing && typeof existing.pid === "number" && isAlive(existing)) {
        throw new SparseDbError(
          "LOCKED",
          `${what} ${dir} is locked by process ${existing.pid} on ${existing.host}; close that process first (or delete ${path} if it is certainly dead)`,
        );
      }
      await fs.unlink(path).catch(() => undefined); // stale: its owner is gone
    }
    throw new SparseDbError("LOCKED", `could not take the lock ${path}: another process keeps recreating it`);
  }

  async release(): Promise<void> {
    heldInThisProcess.delete(this.key);
    await this.fs.unlink(this.path).catch(() => undefined);
  }
}
