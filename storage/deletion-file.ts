import { crc32c } from "./crc32c.js";
import { writeFileDurably, type FileSystem } from "./file-system.js";
import { corruption, ioError, newerVersion } from "./storage-error.js";

/**
 * A segment's deleted documents at one generation, in its own small file so a delete never
 * rewrites the (large, immutable) segment. Layout (FORMAT.md, "Deletion file"):
 *   "SPDBDEL\0" | u32 version | u32 numDocs | u32 deletedCount | bitset (ceil(numDocs/8) bytes,
 *   bit d%8 of byte d/8 set = doc d deleted) | u32 crc32c(all preceding bytes)
 */
const MAGIC = Uint8Array.from([0x53, 0x50, 0x44, 0x42, 0x44, 0x45, 0x4c, 0x00]); // "SPDBDEL\0"
export const DELETION_VERSION = 1;

export function deletionFileName(segmentId: number, gen: number): string {
  return `${segmentFileStem(segmentId)}.del-${gen}`;
}

export function segmentFileStem(segmentId: number): string {
  return `seg-${String(segmentId).padStart(6, "0")}`;
}

export function encodeDeletions(bits: Uint8Array, numDocs: number, deletedCount: number): Uint8Array {
  const nbytes = Math.ceil(numDocs / 8);
  const out = new Uint8Array(20 + nbytes + 4);
  const v = new DataView(out.buffer);
  out.set(MAGIC, 0);
  v.setUint32(8, DELETION_VERSION, true);
  v.setUint32(12, numDocs, true);
  v.setUint32(16, deletedCount, true);
  out.set(bits.subarray(0, nbytes), 20);
  v.setUint32(20 + nbytes, crc32c(out.subarray(0, 20 + nbytes)), true);
  return out;
}

export function decodeDeletions(buf: Uint8Array, file: string, expectedDocs: number): { bits: Uint8Array; deletedCount: number } {
  const nbytes = Math.ceil(expectedDocs / 8);
  if (buf.length !== 24 + nbytes) throw corruption(file, `size ${buf.length} is not ${24 + nbytes} for ${expectedDocs} documents`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (crc32c(buf.subarray(0, 20 + nbytes)) !== v.getUint32(20 + nbytes, true)) throw corruption(file, "deletion bitset checksum mismatch");
  if (!MAGIC.every((m, i) => buf[i] === m)) throw corruption(file, "bad magic");
  const version = v.getUint32(8, true);
  if (version > DELETION_VERSION) throw newerVersion(file, version, DELETION_VERSION);
  if (v.getUint32(12, true) !== expectedDocs) throw corruption(file, "document count differs from the manifest");
  const bits = new Uint8Array(nbytes);
  bits.set(buf.subarray(20, 20 + nbytes));
  return { bits, deletedCount: v.getUint32(16, true) };
}

export async function writeDeletions(fs: FileSystem, path: string, bits: Uint8Array, numDocs: number, deletedCount: number): Promise<void> {
  try {
    await writeFileDurably(fs, path, [encodeDeletions(bits, numDocs, deletedCount)]);
  } catch (e) {
    throw ioError(`writing deletion file ${path}`, e);
  }
}

export async function readDeletions(fs: FileSystem, path: string, numDocs: number): Promise<{ bits: Uint8Array; deletedCount: number }> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (e) {
    throw ioError(`reading deletion file ${path}`, e);
  }
  return decodeDeletions(buf, path, numDocs);
}
