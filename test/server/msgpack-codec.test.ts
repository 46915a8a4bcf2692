import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Unpackr } from "msgpackr";
import { checkMessagePack, MalformedBodyError } from "../../engine/server/msgpack-check.js";
import { f64, writeMessagePack } from "../../engine/server/msgpack-writer.js";

const reader = new Unpackr({ useRecords: false, int64AsType: "bigint", mapsAsObjects: true });

/** The MessagePack type byte of an encoded scalar. */
const typeOf = (v: unknown) => writeMessagePack(v)[0]!;

// Plain values the writer must round-trip: what msgpackr reads back equals what went in.
const key = fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__");
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0)),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.array(tie("value"), { maxLength: 20 }),
    fc.dictionary(key, tie("value"), { maxKeys: 20 }),
  ),
})).value;

describe("the protocol's MessagePack writer", () => {
  it("round-trips plain values through a standard reader, and its output passes the body check", () => {
    fc.assert(
      fc.property(plain, (v) => {
        const bytes = writeMessagePack(v);
        checkMessagePack(bytes);
        const back = reader.unpack(bytes);
        const norm = (x: unknown): unknown => (typeof x === "bigint" ? Number(x) : Array.isArray(x) ? x.map(norm) : x !== null && typeof x === "object" && !Buffer.isBuffer(x) ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, norm(y)])) : x);
        expect(norm(back)).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it("writes floats as float64 even when whole, integers as integers of any 64-bit size", () => {
    expect(typeOf(f64(2))).toBe(0xcb);
    expect(typeOf(2)).toBe(0x02);
    expect(typeOf(2.5)).toBe(0xcb);
    expect(typeOf(-0)).toBe(0xcb);
    expect(typeOf(2 ** 40)).toBe(0xcf);
    expect(typeOf(2 ** 60)).toBe(0xcb); // a whole double beyond 2^53 can only have come in as a float
    expect(typeOf(2n ** 64n - 1n)).toBe(0xcf);
    expect(typeOf(-(2n ** 63n))).toBe(0xd3);
    expect(reader.unpack(writeMessagePack(2n ** 64n - 1n))).toBe(2n ** 64n - 1n);
    expect(() => writeMessagePack(2n ** 64n)).toThrow(/64 bits/);
    const w = writeMessagePack(new Float32Array([1, 2.5]));
    expect([...w]).toEqual([0x92, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xcb, 0x40, 0x04, 0, 0, 0, 0, 0, 0]);
    expect(reader.unpack(writeMessagePack(new Uint32Array([1, 70000])))).toEqual([1, 70000]);
    expect(typeOf(new Uint8Array([1]))).toBe(0xc4);
    expect(reader.unpack(writeMessagePack({ a: undefined, b: 1 }))).toEqual({ b: 1 });
    expect(() => writeMessagePack(new Date())).toThrow(/Date/);
  });
});

describe("the body check", () => {
  const bad = (bytes: number[]) => expect(() => checkMessagePack(Uint8Array.from(bytes))).toThrow(MalformedBodyError);

  it("refuses 0xc1 anywhere, extension types, trailing bytes, bad UTF-8, short bodies and deep nesting", () => {
    bad([0xc1]);
    bad([0x81, 0xa1, 0x61, 0xc1]); // {"a": 0xc1}
    bad([0x91, 0xc1]);
    bad([0xd4, 0x00, 0x00]); // fixext 1 (msgpackr's undefined)
    bad([0xc7, 0x01, 0x05, 0x00]);
    bad([0x01, 0x02]);
    bad([]);
    bad([0xa2, 0xc3, 0x28]); // invalid UTF-8
    bad([0xda, 0x00]); // a str16 length cut short
    bad([0xdd, 0xff, 0xff, 0xff, 0xff]); // an array announcing 4 billion items
    bad([0x81, 0x91, 0x01, 0x01]); // an array as a map key
    bad([...Array(129).fill(0x91), 0x01]);
    checkMessagePack(Uint8Array.from([...Array(128).fill(0x91), 0x01]));
    checkMessagePack(Uint8Array.from([0x81, 0x01, 0xc3])); // {1: true}: integer keys are allowed
  });

  it("never passes a body that a standard reader cannot read (random bytes)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        let ok = true;
        try {
          checkMessagePack(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedBodyError);
          ok = false;
        }
        // Whatever passes the check, msgpackr reads without error.
        if (ok) reader.unpack(Buffer.from(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
