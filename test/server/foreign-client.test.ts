import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";

/**
 * A client written from PROTOCOL.md alone, with its own MessagePack encoder and decoder (no
 * msgpackr), as a client in another language would be: it checks that the server speaks
 * standard MessagePack (float32 in, integers of every width, str8/16 keys) and the documented
 * framing and replies.
 */
function pack(v: unknown, out: number[] = [], float32 = false): number[] {
  const u8 = (n: number) => out.push(n & 0xff);
  const be = (n: number, bytes: number) => { for (let i = bytes - 1; i >= 0; i--) u8(Math.floor(n / 2 ** (8 * i))); };
  if (v === null || v === undefined) u8(0xc0);
  else if (v === true) u8(0xc3);
  else if (v === false) u8(0xc2);
  else if (typeof v === "number" && Number.isInteger(v) && v >= 0) {
    if (v < 128) u8(v);
    else if (v < 256) { u8(0xcc); u8(v); }
    else if (v < 65536) { u8(0xcd); be(v, 2); }
    else { u8(0xce); be(v, 4); }
  } else if (typeof v === "number") {
    const b = Buffer.alloc(float32 ? 4 : 8);
    if (float32) { b.writeFloatBE(v); u8(0xca); } else { b.writeDoubleBE(v); u8(0xcb); }
    out.push(...b);
  } else if (typeof v === "string") {
    const b = Buffer.from(v, "utf8");
    if (b.length < 32) u8(0xa0 | b.length);
    else if (b.length < 256) { u8(0xd9); u8(b.length); }
    else { u8(0xda); be(b.length, 2); }
    out.push(...b);
  } else if (Array.isArray(v)) {
    if (v.length < 16) u8(0x90 | v.length); else { u8(0xdc); be(v.length, 2); }
    for (const x of v) pack(x, out, float32);
  } else {
    const entries = Object.entries(v as object);
    if (entries.length < 16) u8(0x80 | entries.length); else { u8(0xde); be(entries.length, 2); }
    for (const [k, x] of entries) { pack(k, out); pack(x, out, k === "weights" || float32); }
  }
  return out;
}

function unpack(b: Buffer): unknown {
  let p = 0;
  const str = (n: number) => { const s = b.toString("utf8", p, p + n); p += n; return s; };
  const arr = (n: number): unknown[] => Array.from({ length: n }, () => read());
  const map = (n: number) => { const o: Record<string, unknown> = {}; for (let i = 0; i < n; i++) { const k = read() as string; o[k] = read(); } return o; };
  function read(): unknown {
    const t = b[p++]!;
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 256;
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    if ((t & 0xf0) === 0x90) return arr(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
    const v = (n: number, f: (o: number) => number) => { const x = f(p); p += n; return x; };
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xca: return v(4, (o) => b.readFloatBE(o));
      case 0xcb: return v(8, (o) => b.readDoubleBE(o));
      case 0xcc: return v(1, (o) => b.readUInt8(o));
      case 0xcd: return v(2, (o) => b.readUInt16BE(o));
      case 0xce: return v(4, (o) => b.readUInt32BE(o));
      case 0xcf: return v(8, (o) => Number(b.readBigUInt64BE(o)));
      case 0xd0: return v(1, (o) => b.readInt8(o));
      case 0xd1: return v(2, (o) => b.readInt16BE(o));
      case 0xd2: return v(4, (o) => b.readInt32BE(o));
      case 0xd3: return v(8, (o) => Number(b.readBigInt64BE(o)));
      case 0xd9: return str(v(1, (o) => b.readUInt8(o)));
      case 0xda: return str(v(2, (o) => b.readUInt16BE(o)));
      case 0xdb: return str(v(4, (o) => b.readUInt32BE(o)));
      case 0xdc: return arr(v(2, (o) => b.readUInt16BE(o)));
      case 0xdd: return arr(v(4, (o) => b.readUInt32BE(o)));
      case 0xde: return map(v(2, (o) => b.readUInt16BE(o)));
      case 0xdf: return map(v(4, (o) => b.readUInt32BE(o)));
      default: throw new Error(`the server sent MessagePack type 0x${t.toString(16)}, which a plain client need not know`);
    }
  }
  const value = read();
  if (p !== b.length) throw new Error("trailing bytes in a frame");
  return value;
}

class ForeignClient {
  private buffer = Buffer.alloc(0);
  private waiting = new Map<number, (reply: any) => void>();
  private next = 1;
  private constructor(private readonly socket: Socket) {
    socket.on("data", (c: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, c]);
      while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readUInt32BE(0)) {
        const n = this.buffer.readUInt32BE(0);
        const reply = unpack(this.buffer.subarray(4, 4 + n)) as { id: number };
        this.buffer = this.buffer.subarray(4 + n);
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      }
    });
  }
  static open(port: number): Promise<ForeignClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(new ForeignClient(s)));
      s.once("error", reject);
    });
  }
  call(op: string, args: object): Promise<any> {
    const id = this.next++;
    const body = Buffer.from(pack({ id, op, args }));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(Buffer.concat([head, body]));
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

let served: ServedDatabase;
beforeAll(async () => {
  served = await serveDatabase();
});
afterAll(async () => served.stop());

describe("a client written from PROTOCOL.md alone", () => {
  it("creates, upserts, searches, gets and reads errors", async () => {
    const c = await ForeignClient.open(served.port);
    expect(await c.call("ping", {})).toEqual({ id: 1, result: { pong: true, protocol: 1 } });
    const created = await c.call("createCollection", { name: "foreign" });
    expect(created.result.name).toBe("foreign");
    const terms = [3, 200, 300]; // fixint, uint8 and uint16 term ids (the test vocabulary is small)
    const up = await c.call("upsert", {
      collection: "foreign",
      docs: [
        { id: "x", vector: { terms, weights: [0.5, 1.25, 2] }, metadata: { n: 1 } },
        { id: "y", vector: { terms: [300], weights: [4] }, metadata: { n: 2 } },
        { id: "t", text: "a passage with words", metadata: { n: 3, long: "s".repeat(300) } },
      ],
    });
    expect(up.error?.message).toBeUndefined();
    expect(up.result).toEqual({ upserted: 3 });
    const s = await c.call("search", { collection: "foreign", vector: { terms: [200, 300], weights: [1, 1] }, k: 5, explain: true });
    expect(s.result.map((h: any) => [h.id, h.score])).toEqual([["y", 4], ["x", 3.25]]);
    expect(s.result[1].explain.map((e: any) => e.termId)).toEqual([300, 200]);
    const g = await c.call("get", { collection: "foreign", id: "x" });
    expect(g.result).toEqual({ id: "x", vector: { terms, weights: [0.5, 1.25, 2] }, metadata: { n: 1 } });
    const f = await c.call("search", { collection: "foreign", text: "words", k: 1, filter: { n: { gte: 3 } } });
    expect(f.result[0].metadata.long).toHaveLength(300);
    const e = await c.call("search", { collection: "nope", k: 1, text: "x" });
    expect(e.error.code).toBe("NOT_FOUND");
    const bad = await c.call("search", { collection: "foreign", k: 0, text: "x" });
    expect(bad.error.code).toBe("INVALID_ARGUMENT");
    c.close();
  });
});
