import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeBody, encodeFrame, FrameDecoder, FrameTooLargeError } from "../../engine/server/frame.js";

// msgpackr decodes a "__proto__" key as "__proto_" (prototype-pollution guard; see PROTOCOL.md).
const key = fc.string().filter((k) => k !== "__proto__");
const body = fc.record({ id: fc.nat(), op: fc.string(), args: fc.dictionary(key, fc.oneof(fc.string(), fc.double({ noNaN: true }).map((x) => (x === 0 ? 0 : x)) /* msgpackr may send -0 as the integer 0 */, fc.boolean(), fc.constant(null))) });

describe("frames", () => {
  it("decode to the same bodies however the stream is split into chunks", () => {
    fc.assert(
      fc.property(fc.array(body, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder(1 << 20);
        const out: unknown[] = [];
        let from = 0;
        for (const p of [...points, stream.length]) {
          for (const payload of decoder.push(stream.subarray(from, p))) out.push(decodeBody(payload));
          from = p;
        }
        expect(out).toEqual(bodies);
        expect(decoder.pendingBytes).toBe(0);
      }),
    );
  });

  it("holds at most the bytes of unfinished frames received (x2, and + 64 KiB), however the stream is split", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 150_000 }), { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 40 }), (lengths, sizes) => {
        const stream = Buffer.concat(lengths.map((n) => { const h = Buffer.alloc(4 + n, 7); h.writeUInt32BE(n); return h; }));
        const decoder = new FrameDecoder(1 << 20);
        let from = 0;
        let returned = 0;
        for (let i = 0; from < stream.length; i++) {
          const to = Math.min(stream.length, from + (sizes[i % Math.max(1, sizes.length)] ?? stream.length));
          decoder.write(stream.subarray(from, to));
          for (let p = decoder.next(); p !== undefined; p = decoder.next()) returned += 4 + p.length;
          from = to;
          const unfinished = from - returned;
          expect(decoder.pendingBytes).toBe(unfinished);
          expect(decoder.heldBytes).toBeLessThanOrEqual(4 + unfinished + Math.min(64 * 1024, Math.max(256, unfinished)));
        }
        expect(returned).toBe(stream.length);
      }),
      { numRuns: 40 },
    );
  });

  it("an unfinished frame arriving one byte at a time costs its bytes plus a bounded tail", () => {
    const decoder = new FrameDecoder(1 << 24);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1 << 23);
    for (const b of header) decoder.write(Buffer.of(b));
    const one = Buffer.of(42);
    for (let sent = 1; sent <= 200_000; sent++) {
      decoder.write(one);
      if (decoder.next() !== undefined) throw new Error(`a frame came out after ${sent} of its bytes`);
      if (sent % 997 === 0) expect(decoder.heldBytes).toBeLessThanOrEqual(sent + 4 + 64 * 1024);
    }
    expect(decoder.pendingBytes).toBe(200_004);
  });

  it("returns one frame at a time, so the caller can stop or change the limit between frames", () => {
    const decoder = new FrameDecoder(100);
    decoder.write(Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: "x".repeat(200) })]));
    expect(decodeBody(decoder.next()!)).toEqual({ a: 1 });
    decoder.maxFrameBytes = 1000;
    expect(decodeBody(decoder.next()!)).toEqual({ b: "x".repeat(200) });
    expect(decoder.next()).toBeUndefined();
    decoder.write(encodeFrame({ c: "y".repeat(2000) }));
    expect(() => decoder.next()).toThrow(FrameTooLargeError);
  });

  it("rejects an oversized header before buffering the body", () => {
    const decoder = new FrameDecoder(10);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(11);
    expect(() => decoder.push(header)).toThrow(FrameTooLargeError);
  });

  it("treats an empty body as invalid MessagePack", () => {
    expect(() => decodeBody(Buffer.alloc(0))).toThrow();
  });
});
