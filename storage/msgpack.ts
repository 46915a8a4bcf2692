import { Packr } from "msgpackr";

/**
 * Plain MessagePack (no msgpackr record extension), so every msgpack body sparsedb writes can be
 * read by any MessagePack library in another language, as FORMAT.md promises.
 * copyBuffers: a bin value read back owns its bytes (it never aliases a segment's memory).
 */
const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true });

/** Returns bytes that own their memory (msgpackr's own result is a view into a reused buffer). */
export function packValue(value: unknown): Uint8Array {
  return Uint8Array.prototype.slice.call(packr.pack(value));
}

/**
 * Decodes bytes written by packValue. Bin values always come back as Buffers: msgpackr gives the
 * type of its input, and segment sections are plain Uint8Arrays, which would otherwise make
 * metadata read from a segment differ from the same metadata read from the log.
 */
export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
