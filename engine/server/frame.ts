import { Unpackr } from "msgpackr";
import { checkMessagePack } from "./msgpack-check.js";
import { writeMessagePack } from "./msgpack-writer.js";

/**
 * The wire frame: a big-endian u32 byte length, then that many bytes of one MessagePack value.
 * Plain MessagePack only, so a client in any language can speak it; see PROTOCOL.md.
 */
export const FRAME_HEADER_BYTES = 4;

// int64AsType "auto": integers beyond 2^53 come in as bigint, exactly (request ids may be any
// 64-bit integer); the request checks refuse them everywhere else.
// ("auto" is msgpackr's own: a number up to 2^53, a bigint beyond; its typings lack it.)
const unpackr = new Unpackr({ useRecords: false, int64AsType: "auto" as "bigint", mapsAsObjects: true });

/** One frame holding `body` (encoded by the protocol's writer: see msgpack-writer.ts). */
export function encodeFrame(body: unknown): Buffer {
  const frame = writeMessagePack(body, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  return frame;
}

/** Decodes one frame's payload; throws MalformedBodyError unless it is exactly one MessagePack value of the protocol's types. */
export function decodeBody(payload: Buffer): unknown {
  checkMessagePack(payload);
  return unpackr.unpack(payload);
}

export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly limit: number) {
    super(`frame of ${length} bytes exceeds the limit of ${limit} bytes`);
  }
}

/**
 * The largest piece a partial frame body is copied into. Memory held for an unfinished frame is
 * the body bytes received so far plus the unused tail of the last piece (at most
 * min(64 KiB, max(256, bytes received))), however the bytes are split into reads; a list of the
 * reads' own Buffers would cost ~100 bytes of object per byte when they arrive one at a time.
 */
const PIECE_BYTES = 64 * 1024;

/**
 * Splits a byte stream into frame payloads, one at a time: `write` hands it the next chunk and
 * `next` returns the next complete payload (or undefined), so that a caller can stop at any frame
 * (a failed auth) and change `maxFrameBytes` between frames (a larger limit after auth). A header
 * that announces more than `maxFrameBytes` throws FrameTooLargeError before any of the body is
 * kept. A payload that lies whole inside one chunk is a view of it (no copy).
 */
export class FrameDecoder {
  private input: Buffer = Buffer.alloc(0);
  private inputPos = 0;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  /** The current frame's body length, or -1 while its header is incomplete. */
  private bodyLength = -1;
  private pieces: Buffer[] = [];
  private pieceFill = 0;
  private bodyFill = 0;

  constructor(public maxFrameBytes: number) {}

  /** Bytes of unfinished frames received and not yet returned (header bytes included). */
  get pendingBytes(): number {
    return (this.bodyLength >= 0 ? FRAME_HEADER_BYTES : this.headerFill) + this.bodyFill + (this.input.length - this.inputPos);
  }

  /** Bytes of memory this decoder holds for unfinished frames (received bytes plus unused piece capacity). */
  get heldBytes(): number {
    let n = FRAME_HEADER_BYTES + (this.input.length - this.inputPos);
    for (const p of this.pieces) n += p.length;
    return n;
  }

  /** Adds a chunk of the stream. Bytes of an earlier chunk that `next` has not consumed are kept. */
  write(chunk: Buffer): void {
    if (this.inputPos < this.input.length) {
      this.input = Buffer.concat([this.input.subarray(this.inputPos), chunk]);
    } else this.input = chunk;
    this.inputPos = 0;
  }

  /** The next complete payload, or undefined when more bytes are needed. */
  next(): Buffer | undefined {
    if (this.bodyLength < 0) {
      const input = this.input;
      if (this.headerFill === 0 && input.length - this.inputPos >= FRAME_HEADER_BYTES) {
        this.bodyLength = input.readUInt32BE(this.inputPos);
        this.inputPos += FRAME_HEADER_BYTES;
      } else {
        const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, input.length - this.inputPos);
        input.copy(this.header, this.headerFill, this.inputPos, this.inputPos + n);
        this.headerFill += n;
        this.inputPos += n;
        this.releaseInput();
        if (this.headerFill < FRAME_HEADER_BYTES) return undefined;
        this.bodyLength = this.header.readUInt32BE(0);
        this.headerFill = 0;
      }
      if (this.bodyLength > this.maxFrameBytes) {
        const length = this.bodyLength;
        this.bodyLength = -1;
        throw new FrameTooLargeError(length, this.maxFrameBytes);
      }
    }
    const length = this.bodyLength;
    const input = this.input; // (releaseInput above may have replaced it)
    const available = input.length - this.inputPos;
    if (this.bodyFill === 0 && available >= length) {
      const body = input.subarray(this.inputPos, this.inputPos + length);
      this.inputPos += length;
      this.bodyLength = -1;
      this.releaseInput();
      return body;
    }
    // Copy what there is into pieces; the chunk itself is not kept.
    let from = this.inputPos;
    const end = this.inputPos + Math.min(available, length - this.bodyFill);
    while (from < end) {
      let piece = this.pieces[this.pieces.length - 1];
      if (piece === undefined || this.pieceFill === piece.length) {
        // Pieces grow with what has arrived (at least 256 B, at most 64 KiB), so the unused
        // tail is never more than what was received.
        piece = Buffer.allocUnsafe(Math.min(PIECE_BYTES, length - this.bodyFill, Math.max(256, this.bodyFill + (end - from))));
        this.pieces.push(piece);
        this.pieceFill = 0;
      }
      const n = Math.min(piece.length - this.pieceFill, end - from);
      input.copy(piece, this.pieceFill, from, from + n);
      this.pieceFill += n;
      this.bodyFill += n;
      from += n;
    }
    this.inputPos = end;
    this.releaseInput();
    if (this.bodyFill < length) return undefined;
    const body = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, length);
    this.pieces = [];
    this.pieceFill = 0;
    this.bodyFill = 0;
    this.bodyLength = -1;
    return body;
  }

  /** Every payload the chunk completes (for callers that never stop between frames). */
  push(chunk: Buffer): Buffer[] {
    this.write(chunk);
    const out: Buffer[] = [];
    for (let p = this.next(); p !== undefined; p = this.next()) out.push(p);
    return out;
  }

  private releaseInput(): void {
    if (this.inputPos >= this.input.length && this.input.length > 0) {
      this.input = Buffer.alloc(0);
      this.inputPos = 0;
    }
  }
}
