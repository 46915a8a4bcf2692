import { crc32c } from "./crc32c.js";
import type { FileSystem } from "./file-system.js";
import { corruption, ioError, newerVersion } from "./storage-error.js";
import {
  WAL_HEADER_BYTES, WAL_MAGIC, WAL_MAX_RECORD_BYTES, WAL_RECORD_HEADER_BYTES, WAL_VERSION,
} from "./wal-format.js";

export interface WalRecord {
  type: number;
  payload: Uint8Array;
}

export interface WalReadResult {
  records: WalRecord[];
  /** Bytes up to the end of the last good record (the header alone when there is none). */
  validLength: number;
  fileLength: number;
  /** True when bytes after validLength were torn or corrupt (or the header itself was). */
  torn: boolean;
  headerValid: boolean;
}

/**
 * Reads a log and stops at the first record that is incomplete or fails its checksum: a crash
 * mid-append leaves exactly such a tail, and nothing after it was acknowledged. The records
 * returned are whole and verified; the caller truncates the file at `validLength`.
 */
export async function readWal(fs: FileSystem, path: string): Promise<WalReadResult> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (e) {
    throw ioError(`reading write-ahead log ${path}`, e);
  }
  return parseWal(buf, path);
}

export function parseWal(buf: Uint8Array, path: string): WalReadResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fileLength = buf.length;
  const headerValid =
    fileLength >= WAL_HEADER_BYTES &&
    WAL_MAGIC.every((m, i) => buf[i] === m) &&
    view.getUint32(12, true) === crc32c(buf.subarray(0, 12));
  if (!headerValid) {
    // A header is written and fsynced before any record, so a bad one means the crash came
    // while creating the file: nothing in it was ever acknowledged.
    return { records: [], validLength: 0, fileLength, torn: fileLength > 0, headerValid: false };
  }
  const version = view.getUint32(8, true);
  if (version > WAL_VERSION) throw newerVersion(path, version, WAL_VERSION);
  if (version !== WAL_VERSION) throw corruption(path, `unknown log version ${version}`);
  const records: WalRecord[] = [];
  let pos = WAL_HEADER_BYTES;
  while (pos + WAL_RECORD_HEADER_BYTES <= fileLength) {
    const length = view.getUint32(pos, true);
    if (length > WAL_MAX_RECORD_BYTES) break;
    const end = pos + WAL_RECORD_HEADER_BYTES + length;
    if (end > fileLength) break;
    const crc = view.getUint32(pos + 4, true);
    if (crc32c(buf.subarray(pos + 8, end)) !== crc) break;
    records.push({ type: buf[pos + 8]!, payload: buf.subarray(pos + WAL_RECORD_HEADER_BYTES, end) });
    pos = end;
  }
  return { records, validLength: pos, fileLength, torn: pos < fileLength, headerValid: true };
}
