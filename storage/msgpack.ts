import { Packr } from "msgpackr";

/**
 * Plain MessagePack (no msgpackr record extension), so every msgpack body sparsedb writes can be
 * read by any MessagePack library in another language, as FORMAT.md promises.
 */
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Returns bytes that own their memory (msgpackr's own result is a view into a reused buffer). */
export function packValue(value: unknown): Uint8Array {
  return Uint8Array.prototype.slice.call(packr.pack(value));
}

export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
