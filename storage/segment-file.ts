import { packValue as pack, unpackValue as unpack } from "./msgpack.js";
import { crc32c } from "./crc32c.js";
import { verifyInParallel } from "./checksum-threads.js";
import { writeFileDurably, type FileSystem } from "./file-system.js";
import { corruption, ioError, newerVersion } from "./storage-error.js";

/**
 * The segment container: a header, named typed-array sections each starting on an 8-byte
 * boundary, and a footer that lists every section with the CRC-32C of its bytes (padding
 * included, so every byte of the file is covered by some checksum). Generic: it stores whatever
 * `{meta, arrays}` a structure's toSections() returns, and hands back typed-array views into the
 * one buffer read from disk. Byte layout: FORMAT.md, "Segment file".
 */
export type SectionArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
export type SectionMeta = Record<string, number | string | boolean>;

export interface Sections {
  meta: SectionMeta;
  arrays: Record<string, SectionArray>;
}

export const SEGMENT_VERSION = 1;
const MAGIC = Uint8Array.from([0x53, 0x50, 0x44, 0x42, 0x53, 0x45, 0x47, 0x00]); // "SPDBSEG\0"
const END_MAGIC = Uint8Array.from([0x53, 0x50, 0x44, 0x42, 0x45, 0x4e, 0x44, 0x00]); // "SPDBEND\0"
const HEADER_BYTES = 16;
const TRAILER_BYTES = 24;

const DTYPES: { code: number; ctor: { new (b: ArrayBuffer, o: number, n: number): SectionArray; BYTES_PER_ELEMENT: number }; name: string }[] = [
  { code: 1, ctor: Uint8Array, name: "Uint8Array" },
  { code: 2, ctor: Int8Array, name: "Int8Array" },
  { code: 3, ctor: Uint16Array, name: "Uint16Array" },
  { code: 4, ctor: Int16Array, name: "Int16Array" },
  { code: 5, ctor: Uint32Array, name: "Uint32Array" },
  { code: 6, ctor: Int32Array, name: "Int32Array" },
  { code: 7, ctor: Float32Array, name: "Float32Array" },
  { code: 8, ctor: Float64Array, name: "Float64Array" },
];

function dtypeOf(a: SectionArray): number {
  const d = DTYPES.find((t) => a instanceof t.ctor);
  if (!d) throw new TypeError(`unsupported section array type ${Object.prototype.toString.call(a)}`);
  return d.code;
}

const pad8 = (n: number): number => (n + 7) & ~7;

/**
 * Sections are checksummed in chunks of this many bytes (the last chunk of a section also covers
 * its padding), so that verification of a large file can be split evenly across threads.
 */
export const CHECKSUM_CHUNK_BYTES = 8 * 1024 * 1024;

/** A footer entry: name, dtype code, offset, byte length, crc32c of each chunk. */
type SectionEntry = [string, number, number, number, number[]];

function chunkChecksums(bytes: Uint8Array, padding: Uint8Array): number[] {
  const crcs: number[] = [];
  for (let o = 0; o < bytes.length; o += CHECKSUM_CHUNK_BYTES) {
    const end = Math.min(o + CHECKSUM_CHUNK_BYTES, bytes.length);
    let crc = crc32c(bytes.subarray(o, end));
    if (end === bytes.length) crc = crc32c(padding, crc);
    crcs.push(crc);
  }
  return crcs;
}

/** One byte range of the file and the crc32c it must have. */
export interface ChecksumTask {
  section: string;
  offset: number;
  length: number;
  crc: number;
}

/** Per section, the chunk checksums encodeSegment writes (computable ahead, e.g. on another thread). */
export function sectionChecksums(sections: Sections): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, arr] of Object.entries(sections.arrays)) {
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    out[name] = chunkChecksums(bytes, new Uint8Array(pad8(bytes.length) - bytes.length));
  }
  return out;
}

/**
 * Serializes sections into the chunks of a segment file (header, sections, footer, trailer).
 * `checksums` (from sectionChecksums over the same bytes) saves computing them here.
 */
export function encodeSegment(sections: Sections, checksums?: Record<string, number[]>): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(HEADER_BYTES);
  const hv = new DataView(header.buffer);
  header.set(MAGIC, 0);
  hv.setUint32(8, SEGMENT_VERSION, true);
  hv.setUint32(12, crc32c(header.subarray(0, 12)), true);
  chunks.push(header);
  let offset = HEADER_BYTES;
  const table: SectionEntry[] = [];
  for (const [name, arr] of Object.entries(sections.arrays)) {
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    const padded = pad8(bytes.length);
    const padding = new Uint8Array(padded - bytes.length);
    table.push([name, dtypeOf(arr), offset, bytes.length, checksums?.[name] ?? chunkChecksums(bytes, padding)]);
    chunks.push(bytes);
    if (padding.length) chunks.push(padding);
    offset += padded;
  }
  const footer = pack({ meta: sections.meta, sections: table });
  const trailer = new Uint8Array(TRAILER_BYTES);
  const tv = new DataView(trailer.buffer);
  tv.setFloat64(0, offset, true); // footer offset as a float64: exact up to 2^53, no BigInt needed
  tv.setUint32(8, footer.length, true);
  tv.setUint32(12, crc32c(footer, crc32c(trailer.subarray(0, 12))), true);
  trailer.set(END_MAGIC, 16);
  chunks.push(footer, trailer);
  return chunks;
}

/** Writes and fsyncs a segment file; returns its size in bytes. */
export async function writeSegmentFile(fs: FileSystem, path: string, sections: Sections, checksums?: Record<string, number[]>): Promise<number> {
  try {
    return await writeFileDurably(fs, path, encodeSegment(sections, checksums));
  } catch (e) {
    throw ioError(`writing segment file ${path}`, e);
  }
}

/**
 * Parses a segment file held in `buf`: checks header, trailer and footer (their own checksums)
 * and the section layout, and returns typed-array views into `buf` (no copy) plus the checksum
 * tasks that cover the section bytes. `buf` must start on an 8-byte boundary of its
 * ArrayBuffer; readSegmentFile guarantees it.
 */
export function parseSegment(buf: Uint8Array, file: string): { sections: Sections; checks: ChecksumTask[] } {
  if (buf.byteOffset % 8 !== 0) throw new TypeError("segment buffer must be 8-byte aligned");
  if (buf.length < HEADER_BYTES + TRAILER_BYTES) throw corruption(file, `file too short (${buf.length} bytes)`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (!MAGIC.every((m, i) => buf[i] === m) || v.getUint32(12, true) !== crc32c(buf.subarray(0, 12))) {
    throw corruption(file, "bad segment header");
  }
  const t = buf.length - TRAILER_BYTES;
  if (!END_MAGIC.every((m, i) => buf[t + 16 + i] === m)) throw corruption(file, "bad trailer magic (truncated file?)");
  const footerOffset = v.getFloat64(t, true);
  const footerLength = v.getUint32(t + 8, true);
  if (!Number.isInteger(footerOffset) || footerOffset < HEADER_BYTES || footerOffset + footerLength !== t) {
    throw corruption(file, "footer position out of range");
  }
  const footer = buf.subarray(footerOffset, t);
  if (crc32c(footer, crc32c(buf.subarray(t, t + 12))) !== v.getUint32(t + 12, true)) throw corruption(file, "footer checksum mismatch");
  const version = v.getUint32(8, true);
  if (version > SEGMENT_VERSION) throw newerVersion(file, version, SEGMENT_VERSION);
  let parsed: { meta: SectionMeta; sections: SectionEntry[] };
  try {
    parsed = unpack(footer) as typeof parsed;
  } catch (e) {
    throw corruption(file, `undecodable footer (${(e as Error).message})`);
  }
  const arrays: Record<string, SectionArray> = {};
  const checks: ChecksumTask[] = [];
  let expected = HEADER_BYTES;
  for (const [name, code, offset, length, crcs] of parsed.sections) {
    const d = DTYPES.find((x) => x.code === code);
    const padded = pad8(length);
    const chunks = Math.ceil(length / CHECKSUM_CHUNK_BYTES);
    if (!d || offset !== expected || offset + padded > footerOffset || length % d.ctor.BYTES_PER_ELEMENT !== 0 || !Array.isArray(crcs) || crcs.length !== chunks) {
      throw corruption(file, `section "${name}" has an invalid type or position`);
    }
    for (let c = 0; c < chunks; c++) {
      const from = offset + c * CHECKSUM_CHUNK_BYTES;
      const to = c === chunks - 1 ? offset + padded : from + CHECKSUM_CHUNK_BYTES;
      checks.push({ section: name, offset: from, length: to - from, crc: crcs[c]! });
    }
    arrays[name] = new d.ctor(buf.buffer as ArrayBuffer, buf.byteOffset + offset, length / d.ctor.BYTES_PER_ELEMENT);
    expected = offset + padded;
  }
  if (expected !== footerOffset) throw corruption(file, "sections do not end where the footer starts");
  return { sections: { meta: parsed.meta, arrays }, checks };
}

/** Throws CORRUPTION naming the file and section if any task's bytes fail their checksum. */
export function verifyChecks(buf: Uint8Array, checks: ChecksumTask[], file: string): void {
  for (const c of checks) {
    if (crc32c(buf.subarray(c.offset, c.offset + c.length)) !== c.crc) throw corruption(file, `section "${c.section}" checksum mismatch`);
  }
}

/** parseSegment + verifyChecks on this thread. */
export function decodeSegment(buf: Uint8Array, file: string): Sections {
  const { sections, checks } = parseSegment(buf, file);
  verifyChecks(buf, checks, file);
  return sections;
}

/**
 * One readFile, then views into it; the buffer is copied only if Node handed it back unaligned.
 * `into` places the file's bytes (see ReadFileOptions.into; it must return an 8-byte-aligned
 * buffer): the engine reads a segment straight into its search kernel's memory.
 */
export async function readSegmentFile(fs: FileSystem, path: string, into?: (size: number) => Uint8Array): Promise<{ sections: Sections; bytes: number }> {
  let buf: Uint8Array;
  try {
    buf = await fs.readFile(path, into ? { shared: true, into } : { shared: true });
  } catch (e) {
    throw ioError(`reading segment file ${path}`, e);
  }
  if (buf.byteOffset % 8 !== 0) buf = new Uint8Array(buf); // a FileSystem may hand back a pooled buffer
  const { sections, checks } = parseSegment(buf, path);
  const bad = await verifyInParallel(buf, checks);
  if (bad !== null) throw corruption(path, `section "${bad.section}" checksum mismatch`);
  return { sections, bytes: buf.length };
}
