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
