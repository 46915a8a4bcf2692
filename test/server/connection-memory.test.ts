import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";
import { RawConnection } from "./raw-socket.js";

/**
 * Memory a connection holds for unfinished frames is bounded by what it has sent (and before
 * auth by maxUnauthenticatedFrameBytes), however the bytes are split into reads. Measured through
 * the server's own accounting (connectionBuffers), not process memory.
 */
let served: ServedDatabase | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
});

/** Waits (bounded) until the server has read `bytes` from its one connection; returns its figures. */
async function serverHasRead(s: ServedDatabase, bytes: number) {
  for (let i = 0; i < 2000; i++) {
    const c = s.server.connectionBuffers()[0];
    if (c !== undefined && c.bytesReceived >= bytes) return c;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`the server did not read ${bytes} bytes`);
}

async function dribble(s: ServedDatabase, announced: number, bytes: number): Promise<{ worst: number; last: { bufferedBytes: number; bytesReceived: number } }> {
  const raw = await RawConnection.open(s.port);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(announced);
  let sent = 0;
  let worst = 0;
  let last = { bufferedBytes: 0, bytesReceived: 0 };
  for (const b of [...header, ...Buffer.alloc(bytes, 0x61)]) {
    raw.write(Buffer.of(b)); // one byte per write, each read by the server before the next
    sent++;
    last = await serverHasRead(s, sent);
    worst = Math.max(worst, last.bufferedBytes - last.bytesReceived);
  }
  expect(raw.closed).toBe(false);
  raw.close();
  return { worst, last };
}

describe("memory per connection", () => {
  it("an unfinished frame sent one byte per read costs about its bytes, not ~135 bytes per byte", async () => {
    served = await serveDatabase();
    const { worst, last } = await dribble(served, 1 << 20, 1500);
    expect(last.bytesReceived).toBe(1504);
    // Held: the bytes received, plus a piece's unused tail that is never more than what was received.
    expect(worst).toBeLessThanOrEqual(1504 + 256);
    expect(last.bufferedBytes).toBeLessThanOrEqual(2 * last.bytesReceived + 256);
  });

  it("before auth, a frame is at most maxUnauthenticatedFrameBytes, so memory is too", async () => {
    served = await serveDatabase({ token: "correct horse battery", limits: { maxUnauthenticatedFrameBytes: 1024 } });
    const { last } = await dribble(served, 1024, 600);
    expect(last.bufferedBytes).toBeLessThanOrEqual(1024 + 4);
    const raw = await RawConnection.open(served.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025);
    raw.write(header);
    expect(await raw.next()).toMatchObject({ id: null, error: { code: "LIMIT_EXCEEDED" } });
    await raw.whenClosed;
  });

  it("reports the bytes held for unfinished frames in the server's stats", async () => {
    served = await serveDatabase();
    const raw = await RawConnection.open(served.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(10_000);
    raw.write(Buffer.concat([header, Buffer.alloc(3000)]));
    await serverHasRead(served, 3004);
    const client = await served.client();
    const stats = await client.serverStats();
    expect(stats.bufferedBytes).toBeGreaterThanOrEqual(3004);
    expect(stats.bufferedBytes).toBeLessThanOrEqual(3004 + 4); // plus the client's own connection's 4-byte header scratch
    raw.close();
  });
});

/** Waits (bounded) until the server has no connection left, so that the next run's is its only one. */
async function noConnections(s: ServedDatabase): Promise<void> {
  for (let i = 0; i < 2000 && s.server.connectionBuffers().length > 0; i++) await new Promise((r) => setTimeout(r, 1));
  expect(s.server.connectionBuffers()).toEqual([]);
}

describe("memory per connection, property", () => {
  const LIMIT = 2048;
  // An unfinished frame (header announcing `announced` bytes, then part of its body), cut into
  // random chunks, each written once the server has read the one before.
  const unfinishedFrame = (maxAnnounced: number) =>
    fc.integer({ min: 1, max: maxAnnounced }).chain((announced) =>
      fc.record({
        announced: fc.constant(announced),
        body: fc.integer({ min: 0, max: Math.min(announced - 1, 3000) }),
        chunks: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 30 }),
      }),
    );

  async function sendInChunks(s: ServedDatabase, f: { announced: number; body: number; chunks: number[] }, bound: (received: number) => number): Promise<void> {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(f.announced);
    const bytes = Buffer.concat([header, Buffer.alloc(f.body, 0x61)]);
    const raw = await RawConnection.open(s.port);
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const n = f.chunks[i % f.chunks.length]!;
      raw.write(bytes.subarray(at, at + n));
      at = Math.min(bytes.length, at + n);
      const c = await serverHasRead(s, at);
      expect(c.bytesReceived).toBe(at);
      expect(c.bufferedBytes, `after ${at} of ${bytes.length} bytes`).toBeLessThanOrEqual(bound(at));
    }
    expect(raw.closed).toBe(false); // an unfinished frame within the limits is no reason to close
    raw.close();
    await noConnections(s);
  }

  it("without a token: held memory stays within twice the bytes received plus one piece, however they are cut", async () => {
    served = await serveDatabase();
    const s = served;
    // Pieces grow with what has arrived (at least 256 B), plus the 4-byte header scratch.
    await fc.assert(fc.asyncProperty(unfinishedFrame(1 << 20), (f) => sendInChunks(s, f, (received) => 2 * received + 256 + 4)), { numRuns: 40 });
  });

  it("before auth: held memory also stays within maxUnauthenticatedFrameBytes, however the bytes are cut", async () => {
    served = await serveDatabase({ token: "correct horse battery", limits: { maxUnauthenticatedFrameBytes: LIMIT } });
    const s = served;
    await fc.assert(
      fc.asyncProperty(unfinishedFrame(LIMIT), (f) => sendInChunks(s, f, (received) => Math.min(2 * received + 256 + 4, LIMIT + 4))),
      { numRuns: 40 },
    );
  });
});
