import { Packr, Unpackr } from "msgpackr";

/**
 * The wire frame: a big-endian u32 byte length, then that many bytes of one MessagePack value.
 * Plain MessagePack only (no msgpackr records or extensions on the way out), so a client in any
 * language can speak it; see PROTOCOL.md.
 */
export const FRAME_HEADER_BYTES = 4;

const packr = new Packr({ useRecords: false, int64AsType: "number", variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, int64AsType: "number", mapsAsObjects: true });

/** One frame holding `body`. */
export function encodeFrame(body: unknown): Buffer {
  const payload = packr.pack(body);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Decodes one frame's payload; throws when it is not exactly one MessagePack value. */
export function decodeBody(payload: Buffer): unknown {
  return unpackr.unpack(payload);
}

export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly limit: number) {
    super(`frame of ${length} bytes exceeds the limit of ${limit} bytes`);
  }
}

/**
 * Splits a byte stream into frame payloads. `push` returns the payloads completed by a chunk and
 * throws FrameTooLargeError as soon as a header announces more than `maxFrameBytes`, before
 * buffering any of it.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) break;
      const head = this.peekHeader();
      if (head > this.maxFrameBytes) throw new FrameTooLargeError(head, this.maxFrameBytes);
      if (this.buffered < FRAME_HEADER_BYTES + head) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      out.push(all.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + head));
      const rest = all.subarray(FRAME_HEADER_BYTES + head);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return out;
  }

  private peekHeader(): number {
    const first = this.chunks[0]!;
    if (first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all.readUInt32BE(0);
  }
}
