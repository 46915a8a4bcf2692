import * as fsp from "node:fs/promises";
import { constants as fsConstants } from "node:fs";

/**
 * The one door through which sparsedb's storage touches the disk. Everything above it (WAL,
 * manifest, segment files, lock file) takes a `FileSystem`, so tests can substitute one that fails
 * (see FaultInjectingFileSystem) and check that a failed write is rejected and nothing
 * acknowledged is lost.
 */
export interface WritableFile {
  readonly path: string;
  /** May write fewer bytes than asked (a short write); returns how many were written. */
  write(bytes: Uint8Array, position: number): Promise<number>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode =
  /** create or truncate */
  | "truncate"
  /** create, failing with EEXIST if it exists */
  | "exclusive"
  /** open an existing file for read and write at explicit positions */
  | "update";

export interface ReadFileOptions {
  /** The bytes live in a SharedArrayBuffer (worker threads can read them without a copy); a hint. */
  shared?: boolean;
  /**
   * Where to put the bytes: called once with the file's size, returns a buffer of exactly that
   * many bytes (the segment loader reads a file straight into a search kernel's memory). The
   * returned Buffer views it. An implementation may ignore the hint and return its own buffer.
   */
  into?: (size: number) => Uint8Array;
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<WritableFile>;
  /**
   * The whole file. With `shared`, the bytes live in a SharedArrayBuffer (so worker threads can
   * read them without a copy); an implementation may ignore the hint.
   */
  readFile(path: string, options?: ReadFileOptions): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(dir: string): Promise<void>;
  /** null when the path does not exist. */
  stat(path: string): Promise<{ size: number; isDirectory: boolean } | null>;
  /** fsync a directory so that a rename or create inside it is durable. */
  syncDir(dir: string): Promise<void>;
}

class NodeWritableFile implements WritableFile {
  constructor(readonly path: string, private readonly handle: fsp.FileHandle) {}
  async write(bytes: Uint8Array, position: number): Promise<number> {
    const { bytesWritten } = await this.handle.write(bytes, 0, bytes.length, position);
    return bytesWritten;
  }
  sync(): Promise<void> {
    return this.handle.sync();
  }
  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }
  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }
  close(): Promise<void> {
    return this.handle.close();
  }
}

const READ_CHUNK = 32 * 1024 * 1024;

/** The real disk, through node:fs/promises. */
export class NodeFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode): Promise<WritableFile> {
    const flags =
      mode === "truncate"
        ? fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_TRUNC
        : mode === "exclusive"
          ? fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL
          : fsConstants.O_RDWR;
    return new NodeWritableFile(path, await fsp.open(path, flags, 0o644));
  }
  /**
   * Reads a whole file with a few large reads into one unpooled buffer (byteOffset 0, so typed
   * arrays can view it at any 8-byte-aligned offset); fs.readFile would use many 512 KiB reads.
   */
  async readFile(path: string, options: ReadFileOptions = {}): Promise<Buffer> {
    const h = await fsp.open(path, fsConstants.O_RDONLY);
    try {
      const size = (await h.stat()).size;
      const target = options.into?.(size);
      if (target !== undefined && target.byteLength !== size) throw new RangeError(`readFile: into() returned ${target.byteLength} bytes for a ${size}-byte file`);
      const buf =
        target !== undefined
          ? Buffer.from(target.buffer, target.byteOffset, size)
          : options.shared
            ? Buffer.from(new SharedArrayBuffer(size))
            : Buffer.allocUnsafeSlow(size);
      // Chunks read concurrently: libuv's threads copy from the page cache in parallel.
      const starts: number[] = [];
      for (let o = 0; o < size; o += READ_CHUNK) starts.push(o);
      const got = await Promise.all(
        starts.map(async (start) => {
          const end = Math.min(start + READ_CHUNK, size);
          let pos = start;
          while (pos < end) {
            const { bytesRead } = await h.read(buf, pos, end - pos, pos);
            if (bytesRead === 0) break; // the file shrank meanwhile
            pos += bytesRead;
          }
          return pos - start;
        }),
      );
      const done = got.reduce((a, b) => a + b, 0);
      if (done !== size) throw Object.assign(new Error(`${path} changed size while being read`), { code: "EIO" });
      return buf;
    } finally {
      await h.close();
    }
  }
  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return fsp.unlink(path);
  }
  readdir(dir: string): Promise<string[]> {
    return fsp.readdir(dir);
  }
  async mkdir(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }
  rmdir(dir: string): Promise<void> {
    return fsp.rmdir(dir);
  }
  async stat(path: string): Promise<{ size: number; isDirectory: boolean } | null> {
    try {
      const s = await fsp.stat(path);
      return { size: s.size, isDirectory: s.isDirectory() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }
  async syncDir(dir: string): Promise<void> {
    const h = await fsp.open(dir, fsConstants.O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
}

export const nodeFileSystem: FileSystem = new NodeFileSystem();

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(file: WritableFile, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const n = await file.write(done === 0 ? bytes : bytes.subarray(done), position + done);
    if (n <= 0) throw Object.assign(new Error(`write to ${file.path} made no progress`), { code: "EIO" });
    done += n;
  }
}

/**
 * Creates `path` with the given chunks and fsyncs it. The caller makes the name durable (a
 * rename and/or syncDir). On failure the partial file is removed, best effort.
 */
export async function writeFileDurably(fs: FileSystem, path: string, chunks: Uint8Array[]): Promise<number> {
  const file = await fs.open(path, "truncate");
  let pos = 0;
  try {
    for (const c of chunks) {
      await writeFully(file, c, pos);
      pos += c.length;
    }
    await file.sync();
  } catch (e) {
    await file.close().catch(() => undefined);
    await fs.unlink(path).catch(() => undefined);
    throw e;
  }
  await file.close();
  return pos;
}

/**
 * Replaces `dir/name` atomically: writes `dir/name.tmp`, fsyncs it, renames it over `name`, and
 * fsyncs the directory, so a crash leaves either the old file or the new one, whole (the
 * manifest's and the catalog's commit). On failure the temp file is removed, best effort, and the
 * previous file stays in force.
 */
export async function replaceFileAtomically(fs: FileSystem, dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${dir}/${name}.tmp`;
  try {
    await writeFileDurably(fs, tmp, [bytes]);
    await fs.rename(tmp, `${dir}/${name}`);
    await fs.syncDir(dir);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Deletes a file or a directory tree; a missing path is not an error. Not atomic: callers make it idempotent. */
export async function removeTree(fs: FileSystem, path: string): Promise<void> {
  const st = await fs.stat(path);
  if (!st) return;
  if (!st.isDirectory) {
    await fs.unlink(path);
    return;
  }
  for (const name of await fs.readdir(path)) await removeTree(fs, `${path}/${name}`);
  await fs.rmdir(path);
}

/** The whole file, or null when it does not exist. */
export async function readFileIfExists(fs: FileSystem, path: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}
