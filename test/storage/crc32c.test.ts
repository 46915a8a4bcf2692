import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crc32c } from "../../storage/crc32c.js";

/** Byte-at-a-time reference straight from the polynomial, no tables. */
function bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32c", () => {
  it("matches the RFC 3720 / iSCSI check vectors", () => {
    const enc = new TextEncoder();
    expect(crc32c(enc.encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // 32 bytes of zeros
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43); // 32 bytes of 0xff
    const inc = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(crc32c(inc)).toBe(0x46dd794e); // 0x00..0x1f
    const dec = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    expect(crc32c(dec)).toBe(0x113fdb5c);
  });

  it("equals the bitwise reference and can be continued over pieces", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const c = Math.min(cut, bytes.length);
        expect(crc32c(bytes)).toBe(bitwise(bytes));
        expect(crc32c(bytes.subarray(c), crc32c(bytes.subarray(0, c)))).toBe(crc32c(bytes));
      }),
    );
  });
});
