import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../engine/database.js";
import { SparseDbError } from "../../engine/errors.js";
import { SparseServer } from "../../engine/server/server.js";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { encodeFrame } from "../../engine/server/frame.js";
import { backends, serveDatabase, type ServedDatabase } from "./server-fixture.js";
import { RawConnection } from "./raw-socket.js";

let served: ServedDatabase | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SparseDbError);
    return (e as SparseDbError).code;
  }
  throw new Error("expected the call to fail");
}

const PASSAGES = [
  { id: "bees", text: "Honey bees dance to tell the hive where the flowers are", metadata: { topic: "nature", year: 2001 } },
  { id: "rome", text: "Ancient Rome built roads and aqueducts across Europe", metadata: { topic: "history", year: 1999 } },
  { id: "bread", text: "Bread rises because yeast releases carbon dioxide in the dough", metadata: { topic: "food", year: 2010 } },
  { id: "volcano", text: "Volcanoes form where plates of the crust pull apart", metadata: { topic: "nature", year: 2015 } },
];

describe("server over TCP on 127.0.0.1", () => {
  it("serves every op with the library's semantics", async () => {
    served = await serveDatabase();
    const client = await served.client();
    expect(await client.ping()).toEqual({ pong: true, protocol: 1 });
    const docs = await client.createCollection("docs");
    expect(docs.encoderDescription).toMatch(/BM25/);
    expect(docs.config.encoder?.kind).toBe("bm25");
    expect(await codeOf(client.createCollection("docs"))).toBe("ALREADY_EXISTS");
    expect(await codeOf(client.createCollection("../escape"))).toBe("INVALID_ARGUMENT");
    expect((await client.listCollections()).map((c) => c.name)).toEqual(["docs"]);

    await docs.upsert(PASSAGES);
    await docs.upsert([{ id: "vec", vector: SparseVector.fromArrays([5, 9], [1.5, 2]), metadata: { topic: "vectors" } }]);
    expect(await docs.count()).toBe(5);

    const got = await docs.get("vec");
    expect(got?.vector.equals(SparseVector.fromArrays([5, 9], [1.5, 2]))).toBe(true);
    expect(got?.metadata).toEqual({ topic: "vectors" });
    expect(await docs.get("missing")).toBeNull();

    const hits = await docs.search({ text: "where do volcanoes form", k: 2, explain: true });
    expect(hits[0]!.id).toBe("volcano");
    expect(hits[0]!.explain!.some((e) => e.token === "volcanoes")).toBe(true);
    expect(hits[0]!.explain!.reduce((s, e) => s + e.contribution, 0)).toBeCloseTo(hits[0]!.score, 4);

    const filtered = await docs.search({ text: "the", k: 10, filter: { topic: "nature", year: { gte: 2010 } } });
    expect(filtered.map((h) => h.id)).toEqual(["volcano"]);

    const byVector = await docs.search({ vector: SparseVector.fromArrays([9], [1], { role: "query" }), k: 3 });
    expect(byVector.map((h) => [h.id, h.score])).toEqual([["vec", 2]]);
    // Mode approximate goes over the wire (a collection this small is searched exactly).
    const approx = await docs.search({ text: "where do volcanoes form", k: 2, mode: "approximate", recall: 0.9 });
    expect(approx.map((h) => [h.id, h.score])).toEqual(hits.map((h) => [h.id, h.score]));
    expect(await codeOf(docs.search({ text: "x", k: 2, mode: "approximate", recall: 0.5 }))).toBe("INVALID_ARGUMENT");

    expect(await docs.delete(["vec", "nothing"])).toBe(1);
    expect(await docs.count()).toBe(4);
    await docs.flush();
    const stats = await docs.stats();
    expect(stats.name).toBe("docs");
    const serverStats = await client.serverStats();
    expect(serverStats.collections).toEqual(["docs"]);
    expect(serverStats.connections).toBe(1);

    const again = await client.collection("docs");
    expect(again.config).toEqual(docs.config);
    expect(await codeOf(client.collection("nope"))).toBe("NOT_FOUND");
    await client.dropCollection("docs");
    expect(await client.listCollections()).toEqual([]);
    expect(await codeOf(client.dropCollection("docs"))).toBe("NOT_FOUND");
  });

  it("answers pipelined requests, each reply carrying its request's id", async () => {
    served = await serveDatabase();
    const c = await served.client();
    const docs = await c.createCollection("p");
    await docs.upsert(PASSAGES);
    const raw = await RawConnection.open(served.port);
    const n = 200;
    const frames = [];
    for (let i = 0; i < n; i++) {
      frames.push(i % 2 === 0
        ? encodeFrame({ id: i, op: "count", args: { collection: "p" } })
        : encodeFrame({ id: `s${i}`, op: "search", args: { collection: "p", text: "bread yeast", k: 1 } }));
    }
    raw.write(Buffer.concat(frames)); // all at once, in one write
    const replies = await raw.collect(n);
    const byId = new Map(replies.map((r) => [r.id, r]));
    for (let i = 0; i < n; i++) {
      const r = byId.get(i % 2 === 0 ? i : `s${i}`);
      if (i % 2 === 0) expect(r.result).toBe(4);
      else expect(r.result[0].id).toBe("bread");
    }
    // The client pipelines too.
    const results = await Promise.all(Array.from({ length: 100 }, () => docs.search({ text: "rome roads", k: 1 })));
    expect(results.every((h) => h[0]!.id === "rome")).toBe(true);
    raw.close();
  });

  it("needs a token when configured, and refuses wrong ones", async () => {
    served = await serveDatabase({ token: "correct horse battery" });
    const raw = await RawConnection.open(served.port);
    raw.request(1, "ping");
    expect((await raw.next()).result.pong).toBe(true); // ping works before auth
    raw.request(2, "listCollections");
    expect((await raw.next()).error.code).toBe("UNAUTHORIZED");
    raw.request(3, "auth", { token: "wrong token!" });
    expect((await raw.next()).error.code).toBe("UNAUTHORIZED");
    await raw.whenClosed;

    expect(await codeOf(served.client({ token: "nope nope nope" }))).toBe("UNAUTHORIZED");
    const good = await served.client({ token: "correct horse battery" });
    expect(await good.listCollections()).toEqual([]);
    const anonymous = await served.client();
    expect(await codeOf(anonymous.listCollections())).toBe("UNAUTHORIZED");
  });

  it("closes connections that do not authenticate in time", async () => {
    served = await serveDatabase({ token: "correct horse battery", limits: { authTimeoutMs: 100 } });
    const idle = await RawConnection.open(served.port);
    expect(await idle.next()).toMatchObject({ id: null, error: { code: "UNAUTHORIZED" } });
    await idle.whenClosed;
    const good = await served.client({ token: "correct horse battery" });
    await new Promise((r) => setTimeout(r, 200));
    expect(await good.listCollections()).toEqual([]); // authenticated connections stay
  });

  it("refuses to listen beyond loopback without a token", async () => {
    served = await serveDatabase();
    await expect(SparseServer.listen(served.db, { host: "0.0.0.0", port: 0 })).rejects.toThrow(/without a token/);
    const open = await SparseServer.listen(served.db, { host: "0.0.0.0", port: 0, token: "a-long-enough-token" });
    await open.close();
  });

  it("enforces its limits with error replies and stays up", async () => {
    served = await serveDatabase({ limits: { maxK: 5, maxVectorTerms: 3, maxBatchDocs: 2, maxFrameBytes: 4096, maxConnections: 3 } });
    const c = await served.client();
    const docs = await c.createCollection("l");
    expect(await codeOf(docs.search({ text: "x", k: 6 }))).toBe("LIMIT_EXCEEDED");
    expect(await codeOf(docs.search({ vector: { 1: 1, 2: 1, 3: 1, 4: 1 }, k: 1 }))).toBe("LIMIT_EXCEEDED");
    expect(await codeOf(docs.upsert([{ id: "a", text: "a" }, { id: "b", text: "b" }, { id: "c", text: "c" }]))).toBe("LIMIT_EXCEEDED");
    expect(await codeOf(docs.upsert([{ id: "a", vector: { terms: [1, 2, 3, 4], weights: [1, 1, 1, 1] } as any }]))).toBe("LIMIT_EXCEEDED");
    // A frame larger than the limit: error reply with id null, then the connection closes.
    const raw = await RawConnection.open(served.port);
    raw.write(encodeFrame({ id: 1, op: "upsert", args: { collection: "l", docs: [{ id: "big", text: "word ".repeat(2000) }] } }));
    const reply = await raw.next();
    expect(reply).toMatchObject({ id: null, error: { code: "LIMIT_EXCEEDED" } });
    await raw.whenClosed;
    // Connections: the client holds 1; two more fit, the fourth is told and closed.
    const r2 = await RawConnection.open(served.port);
    const r3 = await RawConnection.open(served.port);
    const r4 = await RawConnection.open(served.port);
    expect(await r4.next()).toMatchObject({ id: null, error: { code: "LIMIT_EXCEEDED" } });
    await r4.whenClosed;
    r2.close();
    r3.close();
    expect(await docs.count()).toBe(0);
  });

  it("applies backpressure beyond maxInFlightPerConnection and still answers everything", async () => {
    served = await serveDatabase({ limits: { maxInFlightPerConnection: 2 } });
    const c = await served.client();
    const docs = await c.createCollection("bp");
    const writes = Array.from({ length: 60 }, (_, i) => docs.upsert([{ id: `d${i}`, text: `backpressure ${i}` }]));
    await Promise.all(writes);
    expect(await docs.count()).toBe(60);
  });

  it("shuts down gracefully: in-flight requests finish, later ones are refused, data is kept", async () => {
    const base = await backends();
    // Upserts wait on a gate, so that they are certainly in flight when shutdown begins.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const inner = base.openCollection!;
    const gated = {
      ...base,
      openCollection: async (dir: string, o: any) => {
        const store = await inner(dir, o);
        const upsert = store.upsert.bind(store);
        store.upsert = async (docs) => {
          await gate;
          return upsert(docs);
        };
        return store;
      },
    };
    served = await serveDatabase({}, gated);
    const c = await served.client({ reconnectRetries: 0 });
    const docs = await c.createCollection("g");
    const writes = Array.from({ length: 50 }, (_, i) => docs.upsert([{ id: `d${i}`, text: `document number ${i} about shutdown` }]));
    for (let i = 0; i < 500 && served.server.requestsInFlight < 50; i++) await new Promise((r) => setTimeout(r, 2));
    expect(served.server.requestsInFlight).toBe(50);
    const closing = served.server.close();
    // A request that arrives during shutdown is refused.
    expect(await codeOf(docs.count())).toBe("UNAVAILABLE");
    open();
    await Promise.all(writes); // every in-flight write completes
    await closing;
    expect(await codeOf(SparseClient.connect({ port: served.port, reconnectRetries: 0, connectTimeoutMs: 1000 }))).toBe("UNAVAILABLE");
    await served.db.close();
    const db = await Database.open(served.dir, base);
    expect(await (await db.collection("g")).count()).toBe(50);
    await db.close();
    served.db = await Database.open(served.dir, base); // so stop() has something to close
    served.server = await SparseServer.listen(served.db, { port: 0 });
  });
});
