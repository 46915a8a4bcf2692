import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { AuthThrottle, peerKey, tokenChecker } from "../../engine/server/auth-throttle.js";
import { encodeFrame } from "../../engine/server/frame.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";
import { RawConnection } from "./raw-socket.js";

const TOKEN = "correct horse battery";

/** What one pipelined frame is; the model below says what the server must do with it. */
type Item =
  | { kind: "auth" }
  | { kind: "wrongAuth"; token: string }
  | { kind: "malformedAuth" }
  | { kind: "upsert" }
  | { kind: "ping" }
  | { kind: "notAMap" }
  | { kind: "badFrame" }
  | { kind: "big" };

const item: fc.Arbitrary<Item> = fc.oneof(
  fc.constant({ kind: "auth" as const }),
  fc.string({ maxLength: 30 }).filter((t) => t !== TOKEN).map((token) => ({ kind: "wrongAuth" as const, token })),
  fc.constant({ kind: "malformedAuth" as const }),
  fc.constant({ kind: "upsert" as const }),
  fc.constant({ kind: "upsert" as const }),
  fc.constant({ kind: "ping" as const }),
  fc.constant({ kind: "notAMap" as const }),
  fc.constant({ kind: "badFrame" as const }),
  fc.constant({ kind: "big" as const }),
);

function bytesOf(it: Item, id: number, docId: string): Buffer {
  switch (it.kind) {
    case "auth": return encodeFrame({ id, op: "auth", args: { token: TOKEN } });
    case "wrongAuth": return encodeFrame({ id, op: "auth", args: { token: it.token } });
    case "malformedAuth": return encodeFrame({ id, op: "auth", args: { token: 12345 } });
    case "upsert": return encodeFrame({ id, op: "upsert", args: { collection: "p", docs: [{ id: docId, text: "pipelined write" }] } });
    case "ping": return encodeFrame({ id, op: "ping", args: {} });
    case "notAMap": return encodeFrame([id, "ping"]);
    case "badFrame": return Buffer.from([0, 0, 0, 1, 0xc1]);
    case "big": return encodeFrame({ id, op: "ping", args: { pad: "x".repeat(70_000) } }); // over the 64 KiB limit before auth
  }
}

/** The rules of PROTOCOL.md: which items run, and after which one the server closes. */
function model(items: Item[]): { applied: Set<number>; replies: number; closes: boolean } {
  let authed = false;
  const applied = new Set<number>();
  let replies = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    replies++;
    if (it.kind === "badFrame" || (it.kind === "big" && !authed)) return { applied, replies, closes: true };
    if (it.kind === "auth" && !authed) authed = true;
    else if ((it.kind === "wrongAuth" || it.kind === "malformedAuth") && !authed) return { applied, replies, closes: true };
    else if (it.kind === "upsert" && authed) applied.add(i);
  }
  return { applied, replies, closes: false };
}

let served: ServedDatabase;
beforeAll(async () => {
  served = await serveDatabase({ token: TOKEN, limits: { authFailureDelayMs: 1, authFailureMaxDelayMs: 1 } });
  await served.db.createCollection("p", { durability: "off" });
});
afterAll(async () => served.stop());

describe("authentication", () => {
  it("never runs anything pipelined after a failed auth (random pipelines in one write)", async () => {
    const docs = await served.db.collection("p");
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 12 }), async (items) => {
        run++;
        const docId = (i: number) => `r${run}-${i}`;
        const raw = await RawConnection.open(served.port);
        raw.write(Buffer.concat(items.map((it, i) => bytesOf(it, i, docId(i)))));
        const want = model(items);
        const got: any[] = [];
        while (got.length < want.replies) {
          const r = await raw.next();
          if (r === undefined) break;
          got.push(r);
        }
        if (want.closes) {
          await raw.whenClosed;
          expect(await raw.next()).toBeUndefined(); // nothing after the close
        }
        raw.close();
        expect(got.length).toBe(want.replies);
        for (let i = 0; i < items.length; i++) {
          if (items[i]!.kind !== "upsert") continue;
          expect(await docs.get(docId(i)) !== null, `item ${i} of ${JSON.stringify(items.map((x) => x.kind))}`).toBe(want.applied.has(i));
        }
        // Every reply to an upsert matches the model: applied ones succeed, the rest were refused.
        for (const r of got) {
          if (typeof r.id === "number" && items[r.id]!.kind === "upsert") {
            if (want.applied.has(r.id)) expect(r.result).toEqual({ upserted: 1 });
            else expect(r.error.code).toBe("UNAUTHORIZED");
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("answers 2,000 pipelined guesses with one UNAUTHORIZED and a close, counting one failure", async () => {
    const before = served.server.authThrottle.failuresOf("127.0.0.1");
    const raw = await RawConnection.open(served.port);
    raw.write(Buffer.concat(Array.from({ length: 2000 }, (_, i) => encodeFrame({ id: i, op: "auth", args: { token: `guess ${i}` } }))));
    expect(await raw.next()).toMatchObject({ id: 0, error: { code: "UNAUTHORIZED" } });
    await raw.whenClosed;
    expect(await raw.next()).toBeUndefined();
    expect(served.server.authThrottle.failuresOf("127.0.0.1")).toBe(before + 1);
  });

  it("allows one auth per connection: a second one is refused without looking at its token", async () => {
    const raw = await RawConnection.open(served.port);
    raw.request(1, "auth", { token: TOKEN });
    expect((await raw.next()).result).toEqual({ authenticated: true });
    raw.request(2, "auth", { token: "wrong and ignored" });
    expect(await raw.next()).toMatchObject({ id: 2, error: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/once per connection/) } });
    raw.request(3, "count", { collection: "p" });
    expect(typeof (await raw.next()).result).toBe("number"); // still authenticated, still open
    raw.close();
  });

  it("refuses a frame over maxUnauthenticatedFrameBytes before auth, and accepts it after", async () => {
    const raw = await RawConnection.open(served.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 * 1024 + 1);
    raw.write(header);
    expect(await raw.next()).toMatchObject({ id: null, error: { code: "LIMIT_EXCEEDED", message: expect.stringMatching(/not authenticated/) } });
    await raw.whenClosed;
    const authed = await RawConnection.open(served.port);
    authed.write(Buffer.concat([encodeFrame({ id: 1, op: "auth", args: { token: TOKEN } }), encodeFrame({ id: 2, op: "ping", args: { pad: "x".repeat(100_000) } })]));
    expect((await authed.collect(2)).map((r) => r.id).sort()).toEqual([1, 2]);
    authed.close();
  });
});

describe("AuthThrottle", () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000, forgetAfterMs: 60_000, maxAddresses: 3 };

  it("doubles the delay for each recent failure from an address, up to the maximum, and forgets", () => {
    let now = 0;
    const t = new AuthThrottle(options, () => now);
    expect([1, 2, 3, 4, 5].map(() => t.fail("10.0.0.1"))).toEqual([100, 200, 400, 800, 1000]);
    expect(t.fail("10.0.0.2")).toBe(100); // another address has its own count
    now += 60_001;
    expect(t.failuresOf("10.0.0.1")).toBe(0);
    expect(t.fail("10.0.0.1")).toBe(100);
    t.fail("10.0.0.1");
    t.succeed("10.0.0.1");
    expect(t.fail("10.0.0.1")).toBe(100);
  });

  it("remembers a bounded number of addresses, forgetting the least recently failed", () => {
    const t = new AuthThrottle(options, () => 0);
    for (const a of ["1.1.1.1", "2.2.2.2", "3.3.3.3", "1.1.1.1", "4.4.4.4"]) t.fail(a);
    expect(t.addressesTracked).toBe(3);
    expect(t.failuresOf("2.2.2.2")).toBe(0);
    expect(t.failuresOf("1.1.1.1")).toBe(2);
  });

  it("counts IPv6 peers by their /64 and IPv4-mapped ones as IPv4", () => {
    expect(peerKey("2001:db8:1:2:aaaa::1")).toBe(peerKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
    expect(peerKey("2001:db8:1:2::1")).not.toBe(peerKey("2001:db8:1:3::1"));
    expect(peerKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(peerKey("::1")).toBe("0:0:0:0::/64");
  });

  it("compares tokens by digest, whatever their lengths", () => {
    const check = tokenChecker(TOKEN);
    expect(check(TOKEN)).toBe(true);
    for (const t of ["", "c", TOKEN.slice(0, -1), `${TOKEN} `, TOKEN.toUpperCase(), "x".repeat(10_000)]) expect(check(t)).toBe(false);
  });
});
