import type { FileSystem, OpenMode, ReadFileOptions, WritableFile } from "./file-system.js";

/**
 * A FileSystem that fails on purpose, for tests: each armed fault matches an operation (and
 * optionally a path pattern) and fires `times` times after skipping `after` matching calls.
 * - "EIO" / "ENOSPC": the call throws an errno error of that code without doing anything.
 * - "short-write": the write stores only the first half of its bytes and then throws ENOSPC,
 *   as a disk that fills up mid-write does.
 * - "partial-write": the write stores only the first half and returns that count, without error
 *   (a legal POSIX short write the caller must loop over).
 * - "crash": from then on every call that would change the disk fails with EIO, as if the process
 *   had been killed at that call: the disk keeps exactly what happened before it. Reads still
 *   work. Use op "any" to crash at the n-th (`after`) disk-changing call of any kind.
 */
export type FaultOperation = "write" | "sync" | "open" | "rename" | "unlink" | "truncate" | "syncDir" | "readFile" | "mkdir" | "rmdir";
export type FaultKind = "EIO" | "ENOSPC" | "short-write" | "partial-write" | "crash";

/** Operations that change what is on disk (a crash stops them all). */
const MUTATING: ReadonlySet<FaultOperation> = new Set(["write", "sync", "open", "rename", "unlink", "truncate", "syncDir", "mkdir", "rmdir"]);

export interface Fault {
  op: FaultOperation | "any";
  kind: FaultKind;
  path?: RegExp;
  after?: number;
  times?: number;
}

interface ArmedFault extends Required<Omit<Fault, "path">> {
  path: RegExp | undefined;
}

export function errnoError(code: string, op: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected fault, ${op} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = op;
  e.path = path;
  return e;
}

export class FaultInjectingFileSystem implements FileSystem {
  private faults: ArmedFault[] = [];
  /** How many faults have fired so far. */
  fired = 0;
  /** Set once a "crash" fault fired: every disk-changing call fails from then on. */
  crashed = false;
  /** Disk-changing calls made so far (to size "crash at every step" loops). */
  mutatingCalls = 0;

  constructor(private readonly inner: FileSystem) {}

  inject(fault: Fault): void {
    this.faults.push({ after: 0, times: 1, ...fault, path: fault.path });
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault that fires for this call, if any (consuming one of its `times`). */
  private take(op: FaultOperation, path: string): ArmedFault | null {
    if (MUTATING.has(op)) {
      if (this.crashed) return { op, kind: "crash", path: undefined, after: 0, times: 0 };
      this.mutatingCalls++;
    }
    for (const f of this.faults) {
      if ((f.op !== op && !(f.op === "any" && MUTATING.has(op))) || f.times <= 0) continue;
      if (f.path && !f.path.test(path)) continue;
      if (f.after > 0) {
        f.after--;
        continue;
      }
      f.times--;
      this.fired++;
      if (f.kind === "crash") this.crashed = true;
      return f;
    }
    return null;
  }

  /** Throws if an errno fault is armed for this call. */
  check(op: FaultOperation, path: string): void {
    const f = this.take(op, path);
    if (f) throw errnoError(f.kind === "ENOSPC" || f.kind === "short-write" ? "ENOSPC" : "EIO", op, path);
  }

  async open(path: string, mode: OpenMode): Promise<WritableFile> {
    this.check("open", path);
    return new FaultyWritableFile(await this.inner.open(path, mode), this);
  }
  async readFile(path: string, options?: ReadFileOptions): Promise<Buffer> {
    this.check("readFile", path);
    return this.inner.readFile(path, options);
  }
  async rename(from: string, to: string): Promise<void> {
    this.check("rename", to);
    return this.inner.rename(from, to);
  }
  async unlink(path: string): Promise<void> {
    this.check("unlink", path);
    return this.inner.unlink(path);
  }
  readdir(dir: string): Promise<string[]> {
    return this.inner.readdir(dir);
  }
  async mkdir(dir: string): Promise<void> {
    this.check("mkdir", dir);
    return this.inner.mkdir(dir);
  }
  async rmdir(dir: string): Promise<void> {
    this.check("rmdir", dir);
    return this.inner.rmdir(dir);
  }
  stat(path: string): Promise<{ size: number; isDirectory: boolean } | null> {
    return this.inner.stat(path);
  }
  async syncDir(dir: string): Promise<void> {
    this.check("syncDir", dir);
    return this.inner.syncDir(dir);
  }

  /** Used by FaultyWritableFile for writes, which have two non-throwing-first fault kinds. */
  takeWriteFault(path: string): ArmedFault | null {
    return this.take("write", path);
  }
}

class FaultyWritableFile implements WritableFile {
  constructor(private readonly inner: WritableFile, private readonly fs: FaultInjectingFileSystem) {}
  get path(): string {
    return this.inner.path;
  }
  async write(bytes: Uint8Array, position: number): Promise<number> {
    const f = this.fs.takeWriteFault(this.path);
    if (!f) return this.inner.write(bytes, position);
    if (f.kind === "EIO" || f.kind === "ENOSPC") throw errnoError(f.kind, "write", this.path);
    if (f.kind === "crash") throw errnoError("EIO", "write", this.path);
    const half = bytes.subarray(0, f.kind === "partial-write" ? Math.max(1, Math.floor(bytes.length / 2)) : Math.floor(bytes.length / 2));
    const n = half.length > 0 ? await this.inner.write(half, position) : 0;
    if (f.kind === "short-write") throw errnoError("ENOSPC", "write", this.path);
    return n;
  }
  async sync(): Promise<void> {
    this.fs.check("sync", this.path);
    return this.inner.sync();
  }
  async truncate(length: number): Promise<void> {
    this.fs.check("truncate", this.path);
    return this.inner.truncate(length);
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
