import { packValue as pack, unpackValue as unpack } from "./msgpack.js";
import { crc32c } from "./crc32c.js";
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

/** Serializes sections into the chunks of a segment file (header, sections, footer, trailer). */
export function encodeSegment(sections: Sections): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(HEADER_BYTES);
  const hv = new DataView(header.buffer);
  header.set(MAGIC, 0);
  hv.setUint32(8, SEGMENT_VERSION, true);
  hv.setUint32(12, crc32c(header.subarray(0, 12)), true);
  chunks.push(header);
  let offset = HEADER_BYTES;
  const table: [string, number, number, number, number][] = [];
  for (const [name, arr] of Object.entries(sections.arrays)) {
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    const padded = pad8(bytes.length);
    const padding = new Uint8Array(padded - bytes.length);
    const crc = crc32c(padding, crc32c(bytes));
    table.push([name, dtypeOf(arr), offset, bytes.length, crc]);
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
export async function writeSegmentFile(fs: FileSystem, path: string, sections: Sections): Promise<number> {
  try {
    return await writeFileDurably(fs, path, encodeSegment(sections));
  } catch (e) {
    throw ioError(`writing segment file ${path}`, e);
  }
}

/**
 * Parses a segment file held in `buf`. Every section's checksum is verified, then each section
 * becomes a typed-array view into `buf` (no copy). `buf` must start on an 8-byte boundary of its
 * ArrayBuffer; readSegmentFile guarantees it.
 */
export function decodeSegment(buf: Uint8Array, file: string): Sections {
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
  let parsed: { meta: SectionMeta; sections: [string, number, number, number, number][] };
  try {
    parsed = unpack(footer) as typeof parsed;
  } catch (e) {
    throw corruption(file, `undecodable footer (${(e as Error).message})`);
  }
  const arrays: Record<string, SectionArray> = {};
  let expected = HEADER_BYTES;
  for (const [name, code, offset, length, crc] of parsed.sections) {
    const d = DTYPES.find((x) => x.code === code);
    const padded = pad8(length);
    if (!d || offset !== expected || offset + padded > footerOffset || length % d.ctor.BYTES_PER_ELEMENT !== 0) {
      throw corruption(file, `section "${name}" has an invalid type or position`);
    }
    if (crc32c(buf.subarray(offset, offset + padded)) !== crc) throw corruption(file, `section "${name}" checksum mismatch`);
    arrays[name] = new d.ctor(buf.buffer as ArrayBuffer, buf.byteOffset + offset, length / d.ctor.BYTES_PER_ELEMENT);
    expected = offset + padded;
  }
  if (expected !== footerOffset) throw corruption(file, "sections do not end where the footer starts");
  return { meta: parsed.meta, arrays };
}

/** One readFile, then views into it; the buffer is copied only if Node handed it back unaligned. */
export async function readSegmentFile(fs: FileSystem, path: string): Promise<{ sections: Sections; bytes: number }> {
  let buf: Uint8Array;
  try {
    buf = await fs.readFile(path);
  } catch (e) {
    throw ioError(`reading segment file ${path}`, e);
  }
  if (buf.byteOffset % 8 !== 0) buf = new Uint8Array(buf); // small files may come from Node's shared pool
  return { sections: decodeSegment(buf, path), bytes: buf.length };
}
