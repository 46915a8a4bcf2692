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

/** A damaged record (or header) with valid records after it: not a torn tail. */
export interface WalDamage {
  /** Byte offset of the first damaged record (0 when the file header is damaged). */
  offset: number;
  /** Offset of the first valid record found after the damage. */
  resumesAt: number;
  /** Valid records found after the damage (lost if the log is cut at `offset`). */
  recordsAfter: number;
}

export interface WalReadResult {
  /** The valid prefix: whole, verified records up to the first bad byte. */
  records: WalRecord[];
  /** Bytes up to the end of the last good record (0 when the header is bad, 16 with no records). */
  validLength: number;
  fileLength: number;
  /**
   * True when bytes after validLength are a torn tail: incomplete or failing their checksum, with
   * no valid record anywhere after them. A crash mid-append leaves exactly that.
   */
  torn: boolean;
  headerValid: boolean;
  /** Non-null when valid records follow a bad one: corruption, never a crash's torn tail. */
  damage: WalDamage | null;
}

/**
 * Reads a log's valid prefix and classifies what follows it. Nothing after a torn tail was ever
 * acknowledged (appends are written in order), so the caller truncates there. But a bad record
 * followed by valid ones was damaged after it was written (a flipped bit, a bad sector): dropping
 * it and everything after would silently lose acknowledged writes, so it is reported as `damage`
 * and the caller decides (recovery refuses to open unless asked to repair).
 */
export async function readWal(fs: FileSystem, path: string, options: WalReadOptions = {}): Promise<WalReadResult> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (e) {
    throw ioError(`reading write-ahead log ${path}`, e);
  }
  return parseWal(buf, path, options);
}

export interface WalReadOptions {
  /**
   * The record types the caller writes. Only used to look past damage: a candidate record of
   * another type is not considered, which keeps the search cheap (default: any type 1..255).
   */
  recordTypes?: ReadonlySet<number>;
}

export function parseWal(buf: Uint8Array, path: string, options: WalReadOptions = {}): WalReadResult {
  const scan = new Scanner(buf, options.recordTypes);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fileLength = buf.length;
  const headerValid =
    fileLength >= WAL_HEADER_BYTES &&
    WAL_MAGIC.every((m, i) => buf[i] === m) &&
    view.getUint32(12, true) === crc32c(buf.subarray(0, 12));
  if (!headerValid) {
    // A header is written and fsynced before any record, so a bad header with nothing valid
    // after it is a crash while creating the file: nothing in it was ever acknowledged.
    const damage = fileLength > WAL_HEADER_BYTES ? scan.damageFrom(0, WAL_HEADER_BYTES) : null;
    return { records: [], validLength: 0, fileLength, torn: fileLength > 0 && damage === null, headerValid: false, damage };
  }
  const version = view.getUint32(8, true);
  if (version > WAL_VERSION) throw newerVersion(path, version, WAL_VERSION);
  if (version !== WAL_VERSION) throw corruption(path, `unknown log version ${version}`);
  const records: WalRecord[] = [];
  let pos = WAL_HEADER_BYTES;
  for (let end = recordEnd(buf, view, pos); end > 0; end = recordEnd(buf, view, pos)) {
    records.push({ type: buf[pos + 8]!, payload: buf.subarray(pos + WAL_RECORD_HEADER_BYTES, end) });
    pos = end;
  }
  const damage = pos < fileLength ? scan.damageFrom(pos, pos + 1) : null;
  return { records, validLength: pos, fileLength, torn: pos < fileLength && damage === null, headerValid: true, damage };
}

/** The end of the valid record at `pos`, or 0 if none starts there (incomplete, bad checksum). */
function recordEnd(buf: Uint8Array, view: DataView, pos: number): number {
  if (pos + WAL_RECORD_HEADER_BYTES > buf.length) return 0;
  const length = view.getUint32(pos, true);
  if (length > WAL_MAX_RECORD_BYTES) return 0;
  const end = pos + WAL_RECORD_HEADER_BYTES + length;
  if (end > buf.length) return 0;
  if (buf[pos + 8] === 0) return 0; // type 0 is never written
  return crc32c(buf.subarray(pos + 8, end)) === view.getUint32(pos + 4, true) ? end : 0;
}

/**
 * Looks past damage for valid records. A bad record's length field may itself be damaged, so
 * every later offset is a candidate; checking one costs a CRC over its claimed length, so
 * candidates are filtered first: the damaged record's own claimed end, then (strict pass) offsets
 * whose type is one the caller writes and whose claimed end is the end of the file or another
 * plausible record header (as every genuine record's is), and only if that finds nothing, every
 * offset with a known type (which is cheap then: it happens at a torn tail, near the end).
 */
class Scanner {
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array, private readonly types: ReadonlySet<number> | undefined) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  damageFrom(offset: number, searchFrom: number): WalDamage | null {
    const resumesAt = this.next(offset, searchFrom);
    if (resumesAt < 0) return null;
    let recordsAfter = 0;
    for (let p = resumesAt; p >= 0; ) {
      const end = recordEnd(this.buf, this.view, p);
      if (end > 0) {
        recordsAfter++;
        p = end;
      } else p = this.next(p, p + 1);
    }
    return { offset, resumesAt, recordsAfter };
  }

  private next(bad: number, from: number): number {
    const { buf, view } = this;
    if (bad + WAL_RECORD_HEADER_BYTES <= buf.length) {
      const claimed = bad + WAL_RECORD_HEADER_BYTES + view.getUint32(bad, true);
      if (claimed >= from && this.knownType(claimed) && recordEnd(buf, view, claimed) > 0) return claimed;
    }
    for (let p = from; p + WAL_RECORD_HEADER_BYTES <= buf.length; p++) {
      if (!this.knownType(p)) continue;
      const end = p + WAL_RECORD_HEADER_BYTES + view.getUint32(p, true);
      if (end > buf.length || !this.plausibleHeaderAt(end)) continue;
      if (recordEnd(buf, view, p) > 0) return p;
    }
    for (let p = from; p + WAL_RECORD_HEADER_BYTES <= buf.length; p++) {
      if (this.knownType(p) && recordEnd(buf, view, p) > 0) return p;
    }
    return -1;
  }

  private knownType(p: number): boolean {
    if (p + WAL_RECORD_HEADER_BYTES > this.buf.length) return false;
    const t = this.buf[p + 8]!;
    return this.types ? this.types.has(t) : t !== 0;
  }

  /** The end of the file, a header cut short by it, or a header of a known type and sane length. */
  private plausibleHeaderAt(p: number): boolean {
    if (p + WAL_RECORD_HEADER_BYTES > this.buf.length) return true;
    return this.knownType(p) && this.view.getUint32(p, true) <= WAL_MAX_RECORD_BYTES;
  }
}
