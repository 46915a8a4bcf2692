import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { rm } from "node:fs/promises";
import { Database } from "../../engine/database.js";
import { SparseServer } from "../../engine/server/server.js";
import { backends, serveDatabase, type ServedDatabase } from "./server-fixture.js";

/**
 * A client written from PROTOCOL.md alone, with its own MessagePack encoder and decoder (no
 * msgpackr), as a client in another language would be. Like Python's msgpack it keeps the
 * types apart: MessagePack integers are bigint here, floats are number, bin is Uint8Array, so
 * a whole-valued weight sent as an integer, or an id echoed as a float, fails an assertion.
 */
const F32 = Symbol("float32");
/** Marks an array whose numbers go out as float32 (the protocol accepts float32 or float64). */
const float32 = (xs: number[]) => Object.assign(xs, { [F32]: true });

/** Bytes written as they are, for values no encoder would produce. */
class Raw {
  constructor(readonly bytes: number[]) {}
}

function pack(v: unknown, out: number[] = [], asFloat32 = false): number[] {
  const u8 = (n: number) => out.push(n & 0xff);
  const big = (n: bigint, bytes: number) => { for (let i = bytes - 1; i >= 0; i--) u8(Number((BigInt.asUintN(64, n) >> BigInt(8 * i)) & 0xffn)); };
  const be = (n: number, bytes: number) => big(BigInt(n), bytes);
  if (v instanceof Raw) out.push(...v.bytes);
  else if (v === null || v === undefined) u8(0xc0);
  else if (v === true) u8(0xc3);
  else if (v === false) u8(0xc2);
  else if (typeof v === "bigint") {
    if (v >= 0n) {
      if (v < 128n) u8(Number(v));
      else if (v < 256n) { u8(0xcc); big(v, 1); }
      else if (v < 65536n) { u8(0xcd); big(v, 2); }
      else if (v < 2n ** 32n) { u8(0xce); big(v, 4); }
      else { u8(0xcf); big(v, 8); }
    } else if (v >= -32n) u8(Number(v) + 256);
    else if (v >= -128n) { u8(0xd0); big(v, 1); }
    else if (v >= -32768n) { u8(0xd1); big(v, 2); }
    else if (v >= -(2n ** 31n)) { u8(0xd2); big(v, 4); }
    else { u8(0xd3); big(v, 8); }
  } else if (typeof v === "number") {
    const b = Buffer.alloc(asFloat32 ? 4 : 8);
    if (asFloat32) { b.writeFloatBE(v); u8(0xca); } else { b.writeDoubleBE(v); u8(0xcb); }
    out.push(...b);
  } else if (typeof v === "string") {
    const b = Buffer.from(v, "utf8");
    if (b.length < 32) u8(0xa0 | b.length);
    else if (b.length < 256) { u8(0xd9); u8(b.length); }
    else { u8(0xda); be(b.length, 2); }
    out.push(...b);
  } else if (v instanceof Uint8Array) {
    u8(0xc4); u8(v.length); out.push(...v);
  } else if (Array.isArray(v)) {
    if (v.length < 16) u8(0x90 | v.length); else { u8(0xdc); be(v.length, 2); }
    const f32 = (v as { [F32]?: boolean })[F32] === true;
    for (const x of v) pack(x, out, f32);
  } else {
    const entries = Object.entries(v as object);
    if (entries.length < 16) u8(0x80 | entries.length); else { u8(0xde); be(entries.length, 2); }
    for (const [k, x] of entries) { pack(k, out); pack(x, out); }
  }
  return out;
}

function unpack(b: Buffer): unknown {
  let p = 0;
  const str = (n: number) => { const s = b.toString("utf8", p, p + n); p += n; return s; };
  const bin = (n: number) => { const x = new Uint8Array(b.subarray(p, p + n)); p += n; return x; };
  const arr = (n: number): unknown[] => Array.from({ length: n }, () => read());
  const map = (n: number) => { const o: Record<string, unknown> = {}; for (let i = 0; i < n; i++) { const k = read() as string; o[k] = read(); } return o; };
  function read(): unknown {
    const t = b[p++]!;
    if (t < 0x80) return BigInt(t);
    if (t >= 0xe0) return BigInt(t - 256);
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    if ((t & 0xf0) === 0x90) return arr(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
    const v = <T>(n: number, f: (o: number) => T): T => { const x = f(p); p += n; return x; };
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return bin(v(1, (o) => b.readUInt8(o)));
      case 0xc5: return bin(v(2, (o) => b.readUInt16BE(o)));
      case 0xc6: return bin(v(4, (o) => b.readUInt32BE(o)));
      case 0xca: return v(4, (o) => b.readFloatBE(o));
      case 0xcb: return v(8, (o) => b.readDoubleBE(o));
      case 0xcc: return BigInt(v(1, (o) => b.readUInt8(o)));
      case 0xcd: return BigInt(v(2, (o) => b.readUInt16BE(o)));
      case 0xce: return BigInt(v(4, (o) => b.readUInt32BE(o)));
      case 0xcf: return v(8, (o) => b.readBigUInt64BE(o));
      case 0xd0: return BigInt(v(1, (o) => b.readInt8(o)));
      case 0xd1: return BigInt(v(2, (o) => b.readInt16BE(o)));
      case 0xd2: return BigInt(v(4, (o) => b.readInt32BE(o)));
      case 0xd3: return v(8, (o) => b.readBigInt64BE(o));
      case 0xd9: return str(v(1, (o) => b.readUInt8(o)));
      case 0xda: return str(v(2, (o) => b.readUInt16BE(o)));
      case 0xdb: return str(v(4, (o) => b.readUInt32BE(o)));
      case 0xdc: return arr(v(2, (o) => b.readUInt16BE(o)));
      case 0xdd: return arr(v(4, (o) => b.readUInt32BE(o)));
      case 0xde: return map(v(2, (o) => b.readUInt16BE(o)));
      case 0xdf: return map(v(4, (o) => b.readUInt32BE(o)));
      default: throw new Error(`the server sent MessagePack type 0x${t.toString(16)}, which the protocol never sends`);
    }
  }
  const value = read();
  if (p !== b.length) throw new Error("trailing bytes in a frame");
  return value;
}

function frame(body: Uint8Array | number[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, Buffer.from(body)]);
}

class ForeignClient {
  private buffer = Buffer.alloc(0);
  private readonly replies = new Map<string, any>();
  private readonly waiting = new Map<string, (reply: any) => void>();
  private next = 1n;
  closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (c: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, c]);
      while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readUInt32BE(0)) {
        const n = this.buffer.readUInt32BE(0);
        const reply = unpack(this.buffer.subarray(4, 4 + n)) as { id: unknown };
        this.buffer = this.buffer.subarray(4 + n);
        const key = keyOf(reply.id);
        const w = this.waiting.get(key);
        this.waiting.delete(key);
        if (w) w(reply);
        else this.replies.set(key, reply);
      }
    });
    socket.on("error", () => undefined);
    this.whenClosed = new Promise((resolve) => socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiting.values()) w(undefined);
      this.waiting.clear();
      resolve();
    }));
  }

  static open(port: number): Promise<ForeignClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(new ForeignClient(s)));
      s.once("error", reject);
    });
  }

  /** Sends a request without waiting; `reply(id)` collects its answer. */
  send(op: string, args: object, id: unknown = this.next++): unknown {
    this.write(frame(pack({ id, op, args })));
    return id;
  }

  /** The reply with this id (undefined if the connection closes first). */
  reply(id: unknown): Promise<any> {
    const key = keyOf(id);
    if (this.replies.has(key)) {
      const r = this.replies.get(key);
      this.replies.delete(key);
      return Promise.resolve(r);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.set(key, resolve));
  }

  call(op: string, args: object): Promise<any> {
    return this.reply(this.send(op, args));
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

const keyOf = (id: unknown) => (typeof id === "bigint" ? `i${id}` : id === null ? "null" : `s${String(id)}`);
const vec = (terms: number[], weights: number[]) => ({ terms: terms.map(BigInt), weights });

let served: ServedDatabase;
beforeAll(async () => {
  served = await serveDatabase();
});
afterAll(async () => served.stop());

describe("a client written from PROTOCOL.md alone", () => {
  it("creates, upserts, searches, gets and reads errors", async () => {
    const c = await ForeignClient.open(served.port);
    expect(await c.call("ping", {})).toEqual({ id: 1n, result: { pong: true, protocol: 1n } });
    const created = await c.call("createCollection", { name: "foreign" });
    expect(created.result.name).toBe("foreign");
    const terms = [3, 200, 300]; // fixint, uint8 and uint16 term ids (the test vocabulary is small)
    const up = await c.call("upsert", {
      collection: "foreign",
      docs: [
        { id: "x", vector: { terms: terms.map(BigInt), weights: float32([0.5, 1.25, 2]) }, metadata: { n: 1n } },
        { id: "y", vector: vec([300], [4]), metadata: { n: 2n } },
        { id: "t", text: "a passage with words", metadata: { n: 3n, long: "s".repeat(300) } },
      ],
    });
    expect(up.error?.message).toBeUndefined();
    expect(up.result).toEqual({ upserted: 3n });
    const s = await c.call("search", { collection: "foreign", vector: vec([200, 300], [1, 1]), k: 5n, explain: true });
    expect(s.result.map((h: any) => [h.id, h.score])).toEqual([["y", 4], ["x", 3.25]]);
    expect(s.result[1].explain.map((e: any) => e.termId)).toEqual([300n, 200n]);
    // vocabulary: tokens by term id; a token of it searches as its term id does.
    const v = (await c.call("vocabulary", { collection: "foreign" })).result.tokens as unknown[];
    expect(v.length).toBeGreaterThan(300);
    expect(v.every((t) => typeof t === "string")).toBe(true);
    const byToken = await c.call("search", { collection: "foreign", vector: { tokens: { [v[300] as string]: 1 } }, k: 5n });
    expect(byToken.result.map((h: any) => [h.id, h.score])).toEqual([["y", 4], ["x", 2]]);
    const g = await c.call("get", { collection: "foreign", id: "x" });
    expect(g.result).toEqual({ id: "x", vector: { terms: terms.map(BigInt), weights: [0.5, 1.25, 2] }, metadata: { n: 1n } });
    const f = await c.call("search", { collection: "foreign", text: "words", k: 1n, filter: { n: { gte: 3n } } });
    expect(f.result[0].metadata.long).toHaveLength(300);
    const e = await c.call("search", { collection: "nope", k: 1n, text: "x" });
    expect(e.error.code).toBe("NOT_FOUND");
    const bad = await c.call("search", { collection: "foreign", k: 0n, text: "x" });
    expect(bad.error.code).toBe("INVALID_ARGUMENT");
    c.close();
  });

  it("gets the full config with every default from createCollection, describeCollection and listCollections", async () => {
    const c = await ForeignClient.open(served.port);
    const full = {
      bits: 8n,
      durability: "always",
      batchIntervalMs: 10n,
      memtableMaxDocs: 20000n,
      storeText: true,
      metric: "dot",
      encoder: { kind: "bm25", tokenizerPath: expect.any(String), k1: 0.9, b: 0.4, maxTokens: 512n, dropPunctuation: true, stopwords: "none" },
    };
    const created = await c.call("createCollection", { name: "defaults" });
    expect(created.result).toEqual({ name: "defaults", config: full, encoder: expect.any(String) });
    expect((await c.call("describeCollection", { collection: "defaults" })).result.config).toEqual(full);
    const some = await c.call("createCollection", { name: "some", config: { bits: 4n, durability: "off" } });
    expect(some.result.config).toEqual({ ...full, bits: 4n, durability: "off" });
    const listed = (await c.call("listCollections", {})).result as any[];
    expect(listed.find((x) => x.name === "defaults").config).toEqual(full);
    expect(listed.find((x) => x.name === "some").config).toEqual({ ...full, bits: 4n, durability: "off" });
    // The defaults reported are the ones the collection runs with.
    const stats = (await c.call("stats", { collection: "defaults" })).result;
    expect([BigInt(stats.bits), stats.durability]).toEqual([8n, "always"]);
    c.close();
  });

  it("receives weights, scores and explain weights as float64 even when they are whole", async () => {
    const c = await ForeignClient.open(served.port);
    await c.call("createCollection", { name: "whole" });
    expect((await c.call("upsert", { collection: "whole", docs: [{ id: "w", vector: vec([5, 6], [2, 1]) }] })).result).toEqual({ upserted: 1n });
    const g = (await c.call("get", { collection: "whole", id: "w" })).result;
    expect(g.vector).toEqual({ terms: [5n, 6n], weights: [2, 1] }); // numbers here are floats, integers would be bigints
    const hits = (await c.call("search", { collection: "whole", vector: vec([5, 6], [1, 1]), k: 1n, explain: true })).result;
    expect(hits[0].score).toBe(3);
    for (const e of hits[0].explain) {
      expect(typeof e.termId).toBe("bigint");
      for (const k of ["queryWeight", "docWeight", "contribution"]) expect(typeof e[k]).toBe("number");
    }
    c.close();
  });

  it("gets every request id back exactly, as the integer or string it sent", async () => {
    const c = await ForeignClient.open(served.port);
    const ids = [0n, 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, -1n, -(2n ** 31n) - 1n, -(2n ** 63n), "", "an id", "é".repeat(256)];
    for (const id of ids) c.send("ping", {}, id);
    for (const id of ids) {
      const r = await c.reply(id);
      expect(r.id).toBe(id);
      expect(r.result.pong).toBe(true);
    }
    // Not an id: a float, a map, a string of 257 characters. The reply has id nil; the connection lives.
    for (const id of [1.5, { a: 1n }, "x".repeat(257)]) {
      c.write(frame(pack({ id, op: "ping", args: {} })));
      expect(await c.reply(null)).toMatchObject({ id: null, error: { code: "INVALID_ARGUMENT" } });
    }
    expect((await c.call("ping", {})).result.pong).toBe(true);
    c.close();
  });

  it("has a body that is the reserved byte 0xc1 (alone or inside a value) refused as a malformed frame", async () => {
    const c1 = new Raw([0xc1]);
    for (const body of [[0xc1], pack({ id: 1n, op: "ping", args: { x: c1 } }), pack({ id: 2n, op: "upsert", args: { docs: [c1] } }), pack({ id: 3n, op: "ping", args: new Raw([0x81, 0xc1, 0x01]) })]) {
      const c = await ForeignClient.open(served.port);
      c.write(frame(body));
      expect(await c.reply(null)).toMatchObject({ id: null, error: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/0xc1/) } });
      await c.whenClosed;
    }
    // An extension type is refused the same way (the protocol uses none).
    const c = await ForeignClient.open(served.port);
    c.write(frame([0xd4, 0x00, 0x00]));
    expect(await c.reply(null)).toMatchObject({ id: null, error: { code: "INVALID_ARGUMENT" } });
    await c.whenClosed;
  });

  it("has maxVectorTerms count non-zero weights only", async () => {
    const small = await serveDatabase({ limits: { maxVectorTerms: 3 } });
    try {
      const c = await ForeignClient.open(small.port);
      await c.call("createCollection", { name: "few" });
      const five = vec([1, 2, 3, 4, 5], [1, 0, 2, 0, 3]); // five terms, three non-zero
      expect((await c.call("upsert", { collection: "few", docs: [{ id: "a", vector: five }] })).result).toEqual({ upserted: 1n });
      expect((await c.call("get", { collection: "few", id: "a" })).result.vector.terms).toEqual([1n, 3n, 5n]);
      expect((await c.call("search", { collection: "few", vector: five, k: 1n })).result[0].id).toBe("a");
      expect((await c.call("search", { collection: "few", vector: { "1": 1, "2": 0, "3": 1, "4": 0, "5": 1 }, k: 1n })).result[0].id).toBe("a");
      const four = vec([1, 2, 3, 4, 5], [1, 1, 2, 0, 3]);
      expect((await c.call("upsert", { collection: "few", docs: [{ id: "b", vector: four }] })).error.code).toBe("LIMIT_EXCEEDED");
      expect((await c.call("search", { collection: "few", vector: four, k: 1n })).error.code).toBe("LIMIT_EXCEEDED");
      c.close();
    } finally {
      await small.stop();
    }
  });

  it("gets binary metadata back as bin from the memtable, after a flush and after a restart", async () => {
    const own = await serveDatabase();
    let db = own.db;
    let server = own.server;
    try {
      const blob = Uint8Array.from([0, 1, 127, 128, 255]);
      const meta = { blob, nested: { inner: Uint8Array.from([9]) }, list: [Uint8Array.from([]), "text"] };
      let c = await ForeignClient.open(server.port);
      await c.call("createCollection", { name: "bin" });
      expect((await c.call("upsert", { collection: "bin", docs: [{ id: "b", vector: vec([7], [1]), metadata: meta }] })).result).toEqual({ upserted: 1n });
      const check = async (when: string) => {
        const g = (await c.call("get", { collection: "bin", id: "b" })).result;
        expect(g.metadata, when).toEqual(meta);
        expect(g.metadata.blob, when).toBeInstanceOf(Uint8Array);
        const hits = (await c.call("search", { collection: "bin", vector: vec([7], [1]), k: 1n })).result;
        expect(hits[0].metadata, when).toEqual(meta);
      };
      await check("in the memtable");
      expect((await c.call("flush", { collection: "bin" })).result).toEqual({ flushed: true });
      await check("after a flush");
      c.close();
      await server.close();
      await db.close();
      db = await Database.open(own.dir, await backends());
      server = await SparseServer.listen(db, { port: 0 });
      c = await ForeignClient.open(server.port);
      await check("after a restart");
      c.close();
    } finally {
      await server.close();
      await db.close();
      await rm(own.dir, { recursive: true, force: true });
    }
  });

  it("after an oversized frame gets LIMIT_EXCEEDED with id nil and a closed connection, and a new connection works", async () => {
    const small = await serveDatabase({ limits: { maxFrameBytes: 1024 } });
    try {
      const c = await ForeignClient.open(small.port);
      c.send("ping", { pad: "x".repeat(2000) });
      expect(await c.reply(null)).toMatchObject({ id: null, error: { code: "LIMIT_EXCEEDED" } });
      await c.whenClosed;
      const again = await ForeignClient.open(small.port);
      expect((await again.call("ping", {})).result.pong).toBe(true);
      again.close();
    } finally {
      await small.stop();
    }
  });

  it("gets a reply (its result or UNAVAILABLE) to every request the server received before it began shutting down", async () => {
    const own = await serveDatabase();
    const c = await ForeignClient.open(own.port);
    await c.call("createCollection", { name: "late" });
    const ids: unknown[] = [];
    // One write of many requests, then shutdown at once: they sit in the server's socket buffer, unread.
    const batch: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const id = BigInt(1000 + i);
      ids.push(id);
      batch.push(frame(pack({ id, op: i % 2 === 0 ? "ping" : "count", args: { collection: "late" } })));
    }
    await new Promise<void>((r) => (c as any).socket.write(Buffer.concat(batch), () => r()));
    const closing = own.server.close();
    const replies = await Promise.all(ids.map((id) => c.reply(id)));
    for (const r of replies) {
      expect(r).toBeDefined();
      if (r.error) expect(r.error.code).toBe("UNAVAILABLE");
      else expect(r.result).toBeDefined();
    }
    await closing;
    await c.whenClosed;
    await own.stop();
  });
});
