import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { encodeFrame } from "../../engine/server/frame.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";
import { RawConnection } from "./raw-socket.js";

/**
 * Hostile input: the server must answer or close the offending connection, never crash, and keep
 * answering well-formed requests.
 */
let served: ServedDatabase;
beforeAll(async () => {
  served = await serveDatabase({ limits: { maxFrameBytes: 1 << 16 } });
  const c = await served.client();
  const docs = await c.createCollection("f");
  await docs.upsert([{ id: "a", text: "alpha beta gamma", metadata: { n: 1 } }]);
});
afterAll(async () => served.stop());

const plain = new Packr({ useRecords: false });

function frameOf(payload: Uint8Array): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length);
  return Buffer.concat([h, payload]);
}

async function stillServes(): Promise<void> {
  const raw = await RawConnection.open(served.port);
  raw.request(7, "search", { collection: "f", text: "beta", k: 1 });
  const reply = await raw.next();
  expect(reply.id).toBe(7);
  expect(reply.result[0].id).toBe("a");
  raw.close();
}

/** Sends bytes, then waits briefly for the server's reaction (a reply, a close, or nothing). */
async function sendAndSettle(bytes: Buffer): Promise<RawConnection> {
  const raw = await RawConnection.open(served.port);
  raw.write(bytes);
  await Promise.race([raw.whenClosed, new Promise((r) => setTimeout(r, 20))]);
  return raw;
}

const anyValue = fc.anything({ maxDepth: 3, withBigInt: false, withMap: false, withSet: false, withTypedArray: false });

describe("protocol fuzzing", () => {
  it("random bytes never take the server down", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const raw = await sendAndSettle(Buffer.from(bytes));
        raw.close();
        await stillServes();
      }),
      { numRuns: 60 },
    );
  });

  it("random msgpack bodies in well-formed frames get error replies on a live connection", async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, async (body) => {
        const raw = await RawConnection.open(served.port);
        raw.write(frameOf(plain.pack(body)));
        const reply = await raw.next();
        expect(reply === undefined || reply.error !== undefined || reply.result !== undefined).toBe(true);
        // msgpackr writes undefined as an extension type, which closes the connection (PROTOCOL.md).
        const closes = reply?.id === null && /closing the connection/.test(reply.error?.message);
        if (closes) await raw.whenClosed;
        if (reply !== undefined && !closes) {
          raw.request("after", "ping");
          expect((await raw.next()).result.pong).toBe(true);
        }
        raw.close();
      }),
      { numRuns: 80 },
    );
  });

  it("wrong argument types get INVALID_ARGUMENT-style errors and the connection lives", async () => {
    const ops = ["ping", "listCollections", "createCollection", "describeCollection", "dropCollection", "upsert", "delete", "get", "count", "stats", "flush", "search", "auth", "nope"];
    const raw = await RawConnection.open(served.port);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ops), fc.dictionary(fc.constantFrom("collection", "name", "docs", "ids", "id", "k", "vector", "text", "filter", "mode", "explain", "config"), anyValue, { maxKeys: 5 }), async (op, args) => {
        if (op === "dropCollection" || op === "createCollection") args = { ...args, name: typeof args.name === "string" ? `x${args.name}`.slice(0, 3) : args.name };
        if ((op === "upsert" || op === "delete" || op === "flush") && args.collection === "f") args.collection = "g";
        raw.request(1, op, args);
        const reply = await raw.next();
        expect(reply.id).toBe(1);
        if (reply.error) expect(["INVALID_ARGUMENT", "INVALID_VECTOR", "NOT_FOUND", "LIMIT_EXCEEDED", "ALREADY_EXISTS"]).toContain(reply.error.code);
      }),
      { numRuns: 300 },
    );
    raw.request(2, "ping");
    expect((await raw.next()).result.pong).toBe(true);
    raw.close();
    await stillServes();
  });

  it("truncated frames wait for more bytes; closing mid-frame is harmless", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (cut) => {
        const frame = encodeFrame({ id: 1, op: "search", args: { collection: "f", text: "gamma", k: 3 } });
        const raw = await RawConnection.open(served.port);
        raw.write(frame.subarray(0, Math.min(cut, frame.length - 1)));
        await new Promise((r) => setTimeout(r, 5));
        expect(raw.closed).toBe(false);
        raw.write(frame.subarray(Math.min(cut, frame.length - 1)));
        expect((await raw.next()).result[0].id).toBe("a");
        raw.write(frame.subarray(0, cut));
        raw.close();
      }),
      { numRuns: 40 },
    );
    await stillServes();
  });

  it("huge announced lengths get LIMIT_EXCEEDED and a closed connection", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: (1 << 16) + 1, max: 0xffffffff }), async (len) => {
        const h = Buffer.alloc(8);
        h.writeUInt32BE(len);
        const raw = await RawConnection.open(served.port);
        raw.write(h);
        const reply = await raw.next();
        expect(reply).toMatchObject({ id: null, error: { code: "LIMIT_EXCEEDED" } });
        await raw.whenClosed;
      }),
      { numRuns: 30 },
    );
    await stillServes();
  });

  it("a frame that is not msgpack closes the connection after an error reply", async () => {
    const raw = await RawConnection.open(served.port);
    raw.write(frameOf(Buffer.from([0x92, 0x01]))); // an array of two that holds one value
    const reply = await raw.next();
    expect(reply).toMatchObject({ id: null, error: { code: "INVALID_ARGUMENT" } });
    await raw.whenClosed;
    await stillServes();
  });
});
