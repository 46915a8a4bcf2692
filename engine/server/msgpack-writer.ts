/**
 * The protocol's own MessagePack encoder. msgpackr (used for reading) decides number types by
 * value, so a weight of 2.0 goes out as the integer 2 and an id of 2^40 as a float64; the
 * protocol promises float64 for weights and scores and exact integers for ids. This writer
 * follows fixed rules instead:
 *
 *   - a `WireFloat`, and every element of a Float32Array / Float64Array: float64, always;
 *   - any other number that is a safe integer (|x| <= 2^53 - 1), and any bigint: the smallest
 *     MessagePack integer that holds it; other numbers (fractions, -0, NaN, infinities, whole
 *     values beyond 2^53, which can only have come in as floats): float64;
 *   - Uint8Array (Buffer included): bin; other integer typed arrays: arrays of integers;
 *   - string: str (UTF-8); array: array; plain object or Map: map (entries whose value is
 *     undefined are left out); null / undefined: nil; boolean: bool.
 *
 * Nothing else is encodable (an Error names the map key it was under); extension types are never
 * written.
 */
export class WireFloat {
  constructor(readonly value: number) {}
}

/** Marks a number that the wire must carry as float64 even when it is whole (weights, scores). */
export function f64(value: number): WireFloat {
  return new WireFloat(value);
}

const MAX_DEPTH = 128;
const U64_LIMIT = 2 ** 64;
const I64_MIN = -(2 ** 63);

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  pos: number;

  constructor(reserve: number) {
    this.pos = reserve;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(x: number): void {
    this.ensure(1);
    this.buf[this.pos++] = x;
  }

  head(type: number, n: number, bytes: 1 | 2 | 4 | 8): void {
    this.ensure(1 + bytes);
    this.buf[this.pos++] = type;
    if (bytes === 1) this.buf[this.pos] = n;
    else if (bytes === 2) this.view.setUint16(this.pos, n);
    else if (bytes === 4) this.view.setUint32(this.pos, n);
    else this.view.setBigUint64(this.pos, BigInt(n));
    this.pos += bytes;
  }

  float(x: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, x);
    this.pos += 8;
  }

  int(x: number | bigint): void {
    if (x >= 0) {
      if (x < 128) this.u8(Number(x));
      else if (x < 256) this.head(0xcc, Number(x), 1);
      else if (x < 65536) this.head(0xcd, Number(x), 2);
      else if (x < 4294967296) this.head(0xce, Number(x), 4);
      else {
        this.ensure(9);
        this.buf[this.pos++] = 0xcf;
        this.view.setBigUint64(this.pos, BigInt(x));
        this.pos += 8;
      }
    } else if (x >= -32) this.u8(0x100 + Number(x));
    else if (x >= -128) {
      this.ensure(2);
      this.buf[this.pos++] = 0xd0;
      this.view.setInt8(this.pos++, Number(x));
    } else if (x >= -32768) {
      this.ensure(3);
      this.buf[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, Number(x));
      this.pos += 2;
    } else if (x >= -2147483648) {
      this.ensure(5);
      this.buf[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, Number(x));
      this.pos += 4;
    } else {
      this.ensure(9);
      this.buf[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, BigInt(x));
      this.pos += 8;
    }
  }

  number(x: number): void {
    if (Number.isSafeInteger(x) && !Object.is(x, -0)) this.int(x);
    else this.float(x);
  }

  string(s: string): void {
    const len = s.length;
    if (len < 32) {
      // Short ASCII strings (keys, ids) in JS: cheaper than a native call each.
      this.ensure(1 + len);
      const at = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[at + i] = c;
      }
      if (i === len) {
        this.buf[this.pos] = 0xa0 | len;
        this.pos = at + len;
        return;
      }
    }
    this.ensure(5 + len * 3);
    // Write the bytes after the longest header, then move them if a shorter header fits.
    const start = this.pos + 5;
    const n = this.buf.write(s, start, "utf8");
    const headBytes = n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
    if (headBytes !== 5) this.buf.copy(this.buf, this.pos + headBytes, start, start + n);
    if (n < 32) this.buf[this.pos] = 0xa0 | n;
    else if (n < 256) {
      this.buf[this.pos] = 0xd9;
      this.buf[this.pos + 1] = n;
    } else if (n < 65536) {
      this.buf[this.pos] = 0xda;
      this.view.setUint16(this.pos + 1, n);
    } else {
      this.buf[this.pos] = 0xdb;
      this.view.setUint32(this.pos + 1, n);
    }
    this.pos += headBytes + n;
  }

  bin(b: Uint8Array): void {
    const n = b.length;
    if (n < 256) this.head(0xc4, n, 1);
    else if (n < 65536) this.head(0xc5, n, 2);
    else this.head(0xc6, n, 4);
    this.ensure(n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }

  arrayHead(n: number): void {
    if (n < 16) this.u8(0x90 | n);
    else if (n < 65536) this.head(0xdc, n, 2);
    else this.head(0xdd, n, 4);
  }

  mapHead(n: number): void {
    if (n < 16) this.u8(0x80 | n);
    else if (n < 65536) this.head(0xde, n, 2);
    else this.head(0xdf, n, 4);
  }

  value(v: unknown, depth: number, path: string): void {
    if (depth > MAX_DEPTH) throw new Error(`${path}: nested deeper than ${MAX_DEPTH} levels`);
    if (v === null || v === undefined) return this.u8(0xc0);
    switch (typeof v) {
      case "boolean":
        return this.u8(v ? 0xc3 : 0xc2);
      case "number":
        return this.number(v);
      case "bigint":
        if (v < BigInt(I64_MIN) || v >= BigInt(U64_LIMIT)) throw new Error(`${path}: integer ${v} does not fit in 64 bits`);
        return this.int(v);
      case "string":
        return this.string(v);
      case "object":
        break;
      default:
        throw new Error(`${path}: cannot encode a ${typeof v}`);
    }
    if (v instanceof WireFloat) return this.float(v.value);
    if (Array.isArray(v)) {
      this.arrayHead(v.length);
      for (let i = 0; i < v.length; i++) this.value(v[i], depth + 1, path);
      return;
    }
    if (ArrayBuffer.isView(v)) return this.typedArray(v, path);
    if (v instanceof Map) {
      this.mapHead(v.size);
      for (const [k, x] of v) {
        this.string(String(k));
        this.value(x, depth + 1, path);
      }
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new Error(`${path}: cannot encode a ${(proto?.constructor?.name as string) ?? "object"}`);
    const o = v as Record<string, unknown>;
    let n = 0;
    for (const k in o) if (o[k] !== undefined) n++;
    this.mapHead(n);
    for (const k in o) {
      const x = o[k];
      if (x === undefined) continue;
      this.string(k);
      this.value(x, depth + 1, k);
    }
  }

  private typedArray(v: ArrayBufferView, path: string): void {
    if (v instanceof Uint8Array) return this.bin(v);
    if (v instanceof Float32Array || v instanceof Float64Array) {
      this.arrayHead(v.length);
      this.ensure(9 * v.length);
      for (let i = 0; i < v.length; i++) {
        this.buf[this.pos++] = 0xcb;
        this.view.setFloat64(this.pos, v[i]!);
        this.pos += 8;
      }
      return;
    }
    if (v instanceof DataView) throw new Error(`${path}: cannot encode a DataView`);
    const a = v as unknown as ArrayLike<number | bigint>;
    this.arrayHead(a.length);
    for (let i = 0; i < a.length; i++) this.int(a[i]!);
  }
}

/** MessagePack bytes of `value`, after `reserve` bytes left for the caller (a frame header). */
export function writeMessagePack(value: unknown, reserve = 0): Buffer {
  const w = new Writer(reserve);
  w.value(value, 0, "value");
  return w.bytes();
}
