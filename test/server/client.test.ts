import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { SparseDbError } from "../../engine/errors.js";
import { SparseServer } from "../../engine/server/server.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";

let served: ServedDatabase | undefined;
const extra: Server[] = [];
const extraSockets: Socket[] = [];
afterEach(async () => {
  await served?.stop();
  served = undefined;
  for (const s of extraSockets.splice(0)) s.destroy();
  for (const s of extra.splice(0)) await new Promise((r) => s.close(r));
});

async function failure(p: Promise<unknown>): Promise<SparseDbError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SparseDbError);
    return e as SparseDbError;
  }
  throw new Error("expected a failure");
}

describe("SparseClient", () => {
  it("times out a request that gets no reply (TIMEOUT), and stays usable", async () => {
    // A server that accepts and never answers.
    const silent = createServer((socket) => extraSockets.push(socket));
    extra.push(silent);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const client = await SparseClient.connect({ port, timeoutMs: 100 });
    const e = await failure(client.ping());
    expect(e.code).toBe("TIMEOUT");
    expect(e.message).toMatch(/within 100 ms/);
    await client.close();
    expect((await failure(client.ping())).code).toBe("CLOSED");
  });

  it("says UNAVAILABLE when nothing listens", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const e = await failure(SparseClient.connect({ port, reconnectRetries: 1, reconnectDelayMs: 10 }));
    expect(e.code).toBe("UNAVAILABLE");
    expect(e.message).toMatch(/sparsedb serve/);
  });

  it("reconnects on the next request after the server restarts", async () => {
    served = await serveDatabase();
    const port = served.port;
    const client = await served.client({ reconnectRetries: 20, reconnectDelayMs: 20 });
    await client.createCollection("r");
    await served.server.close();
    for (let i = 0; i < 100 && client.isConnected; i++) await new Promise((r) => setTimeout(r, 10));
    expect(client.isConnected).toBe(false);
    // The next request retries the connection until the server is back.
    const listed = client.listCollections();
    await new Promise((r) => setTimeout(r, 50));
    served.server = await SparseServer.listen(served.db, { port });
    expect((await listed).map((c) => c.name)).toEqual(["r"]);
    expect(client.isConnected).toBe(true);
  });

  it("reconnects transparently for the next call after the server closed the connection for an oversized frame", async () => {
    served = await serveDatabase({ limits: { maxFrameBytes: 2048 } });
    const client = await served.client({ reconnectRetries: 3, reconnectDelayMs: 10 });
    const docs = await client.createCollection("big");
    const tooBig = await failure(docs.upsert([{ id: "a", text: "word ".repeat(1000) }]));
    expect(tooBig.code).toBe("LIMIT_EXCEEDED");
    // Called at once, before the server's close has reached the client.
    expect(await docs.count()).toBe(0);
    await docs.upsert([{ id: "b", text: "small" }]);
    expect(await docs.count()).toBe(1);
    // Also with requests in flight when it happens: they fail, later calls work.
    const inFlight = [docs.count(), docs.upsert([{ id: "c", text: "word ".repeat(1000) }])];
    const outcomes = await Promise.allSettled(inFlight);
    expect(outcomes[1]!.status).toBe("rejected");
    expect(await docs.count()).toBe(1);
  });

  it("re-authenticates when it reconnects", async () => {
    served = await serveDatabase({ token: "sesame-sesame" });
    const port = served.port;
    const client = await served.client({ token: "sesame-sesame", reconnectRetries: 20, reconnectDelayMs: 20 });
    await client.createCollection("t");
    await served.server.close();
    served.server = await SparseServer.listen(served.db, { port, token: "sesame-sesame" });
    // The first call may see the old, closed connection; the next must be reconnected and authenticated.
    await client.listCollections().catch(() => undefined);
    expect((await client.listCollections()).map((c) => c.name)).toEqual(["t"]);
  });
});
