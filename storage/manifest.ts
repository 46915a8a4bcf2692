import { packValue as pack, unpackValue as unpack } from "./msgpack.js";
import { crc32c } from "./crc32c.js";
import { replaceFileAtomically, type FileSystem } from "./file-system.js";
import { corruption, ioError, newerVersion } from "./storage-error.js";

/**
 * The manifest names everything a collection is made of; a commit is the atomic replacement of
 * this one file (write MANIFEST.tmp, fsync, rename over MANIFEST, fsync the directory), so a
 * crash leaves either the old or the new manifest, never a mix.
 *
 * Layout (FORMAT.md, "Manifest"): "SPDBMAN\0" | u32 version | u32 body length |
 * u32 crc32c(version ++ length ++ body) | body (msgpack).
 */
export const MANIFEST_FILE = "MANIFEST";
/** Written by replaceFileAtomically (`<name>.tmp`) while committing. */
export const MANIFEST_TMP_FILE = "MANIFEST.tmp";
export const MANIFEST_VERSION = 1;
const MAGIC = Uint8Array.from([0x53, 0x50, 0x44, 0x42, 0x4d, 0x41, 0x4e, 0x00]); // "SPDBMAN\0"

export interface ManifestSegment {
  /** File number: the segment lives in seg-<id>.sdb. */
  id: number;
  docs: number;
  /** Generation of the deletion bitset file seg-<id>.del-<delGen>; 0 = no deletions file. */
  delGen: number;
  deletedDocs: number;
}

export interface Manifest {
  /** Incremented by every commit. */
  generation: number;
  /** Logs with a number >= this are replayed on open; older ones are in segments already. */
  logNumber: number;
  /** Next unused file number for logs and segments. */
  nextFileNumber: number;
  /** Quantization bits the collection was created with. */
  bits: number;
  /** Term ids are below this (the encoder's vocabulary size; BERT's 30522 by default). */
  vocabSize: number;
  segments: ManifestSegment[];
}

export function encodeManifest(m: Manifest): Uint8Array {
  const body = pack(m);
  const out = new Uint8Array(20 + body.length);
  const v = new DataView(out.buffer);
  out.set(MAGIC, 0);
  v.setUint32(8, MANIFEST_VERSION, true);
  v.setUint32(12, body.length, true);
  out.set(body, 20);
  v.setUint32(16, crc32c(out.subarray(20), crc32c(out.subarray(8, 16))), true);
  return out;
}

export function decodeManifest(buf: Uint8Array, file: string): Manifest {
  if (buf.length < 20 || !MAGIC.every((m, i) => buf[i] === m)) throw corruption(file, "not a sparsedb manifest (bad magic)");
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = v.getUint32(12, true);
  if (20 + length !== buf.length) throw corruption(file, `body length ${length} does not match file size ${buf.length}`);
  const crc = crc32c(buf.subarray(20), crc32c(buf.subarray(8, 16)));
  if (crc !== v.getUint32(16, true)) throw corruption(file, "manifest checksum mismatch");
  const version = v.getUint32(8, true);
  if (version > MANIFEST_VERSION) throw newerVersion(file, version, MANIFEST_VERSION);
  let m: Manifest;
  try {
    m = unpack(buf.subarray(20)) as Manifest;
  } catch (e) {
    throw corruption(file, `undecodable body (${(e as Error).message})`);
  }
  if (!m || !Array.isArray(m.segments) || typeof m.logNumber !== "number") throw corruption(file, "manifest body lacks required fields");
  return m;
}

/** The committed manifest, or null if the directory has none (a new collection). */
export async function readManifest(fs: FileSystem, dir: string): Promise<Manifest | null> {
  const path = `${dir}/${MANIFEST_FILE}`;
  if (!(await fs.stat(path))) return null;
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (e) {
    throw ioError(`reading ${path}`, e);
  }
  return decodeManifest(buf, path);
}

/** Atomically replaces the manifest. On failure the previous manifest stays in force. */
export async function writeManifest(fs: FileSystem, dir: string, m: Manifest): Promise<void> {
  try {
    await replaceFileAtomically(fs, dir, MANIFEST_FILE, encodeManifest(m));
  } catch (e) {
    throw ioError(`committing manifest in ${dir}`, e);
  }
}
