import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../../engine/server/frame.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { RawConnection } from "./raw-socket.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";

/**
 * Replies that complete in the same round of microtasks leave in one socket write
 * (Connection.send / flushReplies): pipelined requests still get every reply, in the order they
 * completed (request order for light requests), and a reply made just before the server closes
 * the connection is written before the close.
 */

let served: ServedDatabase | undefined;
const raws: RawConnection[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  await served?.stop();
  served = undefined;
});

async function open(port: number): Promise<RawConnection> {
  const r = await RawConnection.open(port);
  raws.push(r);
  return r;
}

/** The server's socket writes so far, over its connections. */
function socketWrites(s: ServedDatabase): number {
  let n = 0;
  for (const c of (s.server as unknown as { connections: Set<{ socketWrites: number }> }).connections) n += c.socketWrites;
  return n;
}

describe("replies batched per round of microtasks", () => {
  it("answers 400 pipelined pings in request order, and the malformed requests among them, in fewer socket writes than replies", async () => {
    served = await serveDatabase();
    const raw = await open(served.port);
    const N = 400;
    const frames: Buffer[] = [];
    // Pings, and every 7th a request that is not a map (an error reply, made at once rather than
    // after the ping's async op: so errors may overtake pings, pings never overtake each other).
    for (let i = 0; i < N; i++) frames.push(i % 7 === 3 ? encodeFrame([i]) : encodeFrame({ id: i, op: "ping", args: {} }));
    raw.write(Buffer.concat(frames));
    const pings: number[] = [];
    let errors = 0;
    for (let i = 0; i < N; i++) {
      const r = await raw.next();
      if (r.id === null) {
        expect(r.error.code).toBe("INVALID_ARGUMENT");
        errors++;
      } else {
        expect(r.result).toBeDefined();
        pings.push(r.id);
      }
    }
    expect(errors).toBe(frames.filter((_, i) => i % 7 === 3).length);
    expect(pings).toEqual(Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 !== 3));
    expect(socketWrites(served)).toBeLessThan(N / 4);
  });

  it("answers pipelined searches and writes, each id once, the writes in request order", async () => {
    served = await serveDatabase();
    const admin = await served.client();
    await admin.createCollection("c", { memtableMaxDocs: 100_000 });
    const c = await admin.collection("c");
    await c.upsert(Array.from({ length: 200 }, (_, i) => ({ id: `d${i}`, vector: SparseVector.fromArrays([i % 50, 50 + (i % 30)], [1, 2]) })));
    await c.flush();
    const raw = await open(served.port);
    const frames: Buffer[] = [];
    const N = 120;
    for (let i = 0; i < N; i++) {
      if (i % 3 === 0) frames.push(encodeFrame({ id: i, op: "upsert", args: { collection: "c", docs: [{ id: `n${i}`, vector: { terms: [i % 50], weights: [1] } }] } }));
      else frames.push(encodeFrame({ id: i, op: "search", args: { collection: "c", k: 5, vector: { terms: [i % 50, 50 + (i % 30)], weights: [1, 0.5] } } }));
    }
    raw.write(Buffer.concat(frames));
    const ids: number[] = [];
    for (let i = 0; i < N; i++) {
      const r = await raw.next(10_000);
      expect(r.error).toBeUndefined();
      ids.push(r.id);
    }
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    // One write lane: upserts complete in the order they were sent.
    const upserts = ids.filter((id) => id % 3 === 0);
    expect(upserts).toEqual([...upserts].sort((a, b) => a - b));
    expect(await c.count()).toBe(200 + N / 3);
  });

  it("writes the replies made together with a connection-closing error before closing", async () => {
    served = await serveDatabase();
    const raw = await open(served.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1);
    // Five pings, then a frame whose body is not MessagePack (0xc1 is never used): five replies,
    // the error, then the server closes, all from one read.
    raw.write(Buffer.concat([...Array.from({ length: 5 }, (_, i) => encodeFrame({ id: i, op: "ping" })), header, Buffer.from([0xc1])]));
    // The error is made at once, the pings' replies after their async op: the server closes once they are written.
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await raw.next());
    expect(replies.filter((r) => r.id === null)).toMatchObject([{ error: { code: "INVALID_ARGUMENT" } }]);
    expect(replies.filter((r) => r.id !== null).map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
    await raw.whenClosed;
    expect(await raw.next()).toBeUndefined();
  });
});
