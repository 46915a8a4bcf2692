import { SparseDbError } from "../engine/errors.js";
import { crc32c } from "./crc32c.js";

/**
 * Write-ahead log layout (see FORMAT.md, "Write-ahead log"):
 *   file header, 16 bytes: "SPDBWAL\0" | u32 version | u32 crc32c(bytes 0..12)
 *   record:  u32 payload length | u32 crc32c(type byte ++ payload) | u8 type | payload
 * All integers little-endian.
 */
export const WAL_MAGIC = Uint8Array.from([0x53, 0x50, 0x44, 0x42, 0x57, 0x41, 0x4c, 0x00]); // "SPDBWAL\0"
export const WAL_VERSION = 1;
export const WAL_HEADER_BYTES = 16;
export const WAL_RECORD_HEADER_BYTES = 9;
/**
 * The largest payload a record may have (1 GiB). The reader treats a longer length as damage
 * rather than an allocation request, so the writer refuses to write one: a record the reader
 * would reject must never be acknowledged.
 */
export const WAL_MAX_RECORD_BYTES = 1 << 30;

/**
 * Refuses a record the reader would not accept: a payload over WAL_MAX_RECORD_BYTES, or type 0
 * (reserved, so that a zero-filled tail never looks like a record).
 */
export function checkWalRecord(type: number, payloadBytes: number): void {
  if (!Number.isInteger(type) || type < 1 || type > 255) {
    throw new SparseDbError("INVALID_ARGUMENT", `log record type ${type} is not in 1..255`);
  }
  if (payloadBytes > WAL_MAX_RECORD_BYTES) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `the batch is too large: it encodes to ${payloadBytes} bytes, over the write-ahead log's limit of ${WAL_MAX_RECORD_BYTES} bytes (1 GiB) per request; split it into smaller batches`,
    );
  }
}

export function encodeWalHeader(): Uint8Array {
  const b = new Uint8Array(WAL_HEADER_BYTES);
  const v = new DataView(b.buffer);
  b.set(WAL_MAGIC, 0);
  v.setUint32(8, WAL_VERSION, true);
  v.setUint32(12, crc32c(b.subarray(0, 12)), true);
  return b;
}

export function encodeWalRecord(type: number, payload: Uint8Array): Uint8Array {
  checkWalRecord(type, payload.length);
  const b = new Uint8Array(WAL_RECORD_HEADER_BYTES + payload.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, payload.length, true);
  b[8] = type;
  b.set(payload, WAL_RECORD_HEADER_BYTES);
  v.setUint32(4, crc32c(b.subarray(8)), true);
  return b;
}

/**
 * Completes a record built in place: `record` holds WAL_RECORD_HEADER_BYTES of room followed by
 * the payload; fills in length, type and checksum. Saves encodeWalRecord's copy on the hot path.
 */
export function sealWalRecord(type: number, record: Uint8Array): Uint8Array {
  checkWalRecord(type, record.length - WAL_RECORD_HEADER_BYTES);
  const v = new DataView(record.buffer, record.byteOffset, WAL_RECORD_HEADER_BYTES);
  v.setUint32(0, record.length - WAL_RECORD_HEADER_BYTES, true);
  record[8] = type;
  v.setUint32(4, crc32c(record.subarray(8)), true);
  return record;
}
