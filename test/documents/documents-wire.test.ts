import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteCollection } from "../../engine/client/remote-collection.js";
import type { SparseClient } from "../../engine/client/sparse-client.js";
import type { Collection } from "../../engine/collection.js";
import { RawConnection } from "../server/raw-socket.js";
import { serveDatabase, type ServedDatabase } from "../server/server-fixture.js";

/**
 * Stored texts and the document operations through a real server on 127.0.0.1 (the real
 * storage): SparseClient gives what the library gives, and the frames have the documented shape.
 */
const DOCS = [
  { id: "g1", text: "glaciers carve deep valleys", metadata: { lang: "en", year: 2001, tags: ["ice"] } },
  { id: "g2", text: "les glaciers fondent", metadata: { lang: "fr", year: 2015 } },
  { id: "g3", text: "glacier retreat measured by satellites", metadata: { lang: "en", year: 2020 } },
  { id: "v1", vector: { terms: [5, 9], weights: [1, 2] }, metadata: { lang: "en" } },
];

let served: ServedDatabase;
let client: SparseClient;
let raw: RawConnection;

beforeAll(async () => {
  served = await serveDatabase();
  client = await served.client();
  raw = await RawConnection.open(served.port);
  await (await served.db.createCollection("docs")).upsert(DOCS);
  await served.db.createCollection("plain", { storeText: false });
});

afterAll(async () => {
  raw?.close();
  await served?.stop();
});

/** The same calls on the library's collection and on the client's; returns both results. */
async function both<T>(name: string, call: (c: Collection | RemoteCollection) => Promise<T>): Promise<[T, T]> {
  return [await call(await served.db.collection(name)), await call(await client.collection(name))];
}

describe("documents over the wire", () => {
  it("storeText is in the described config and the stats", async () => {
    expect((await client.collection("docs")).config).toMatchObject({ storeText: true });
    expect((await client.collection("plain")).config).toMatchObject({ storeText: false });
    expect(await (await client.collection("docs")).stats()).toMatchObject({ storeText: true });
    expect(await (await client.collection("plain")).stats()).toMatchObject({ storeText: false });
  });

  it("get returns the stored text; include picks metadata fields and leaves the text out", async () => {
    const [local, remote] = await both("docs", (c) => c.get("g1"));
    expect(remote).toEqual(local);
    expect(remote).toMatchObject({ id: "g1", text: "glaciers carve deep valleys", metadata: { lang: "en", year: 2001, tags: ["ice"] } });
    const [l2, r2] = await both("docs", (c) => c.get("g1", { include: { text: false, metadata: ["year", "missing"] } }));
    expect(r2).toEqual(l2);
    expect(r2).not.toHaveProperty("text");
    expect(r2!.metadata).toEqual({ year: 2001 });
    const [l3, r3] = await both("docs", (c) => c.get("v1"));
    expect(r3).toEqual(l3);
    expect(r3).not.toHaveProperty("text");
  });

  it("getMany answers in request order, null for a missing id, duplicates each", async () => {
    const [local, remote] = await both("docs", (c) => c.getMany(["g3", "nope", "g1", "g3"]));
    expect(remote).toEqual(local);
    expect(remote.map((d) => d?.id ?? null)).toEqual(["g3", null, "g1", "g3"]);
    expect(remote[0]!.text).toBe("glacier retreat measured by satellites");
    raw.request(1, "getMany", { collection: "docs", ids: ["g2", "zz"], include: { metadata: false } });
    const reply = (await raw.next()) as { id: number; result: Record<string, unknown>[] };
    expect(reply.result[1]).toBeNull();
    expect(Object.keys(reply.result[0]!).sort()).toEqual(["id", "text", "vector"]);
  });

  it("count with and without a filter", async () => {
    expect(await both("docs", (c) => c.count())).toEqual([4, 4]);
    expect(await both("docs", (c) => c.count({ lang: "en" }))).toEqual([3, 3]);
    expect(await both("docs", (c) => c.count({ year: { gte: 2010 } }))).toEqual([2, 2]);
  });

  it("search hits carry the text when asked, and leave metadata out when asked", async () => {
    const plain = await both("docs", (c) => c.search({ text: "glaciers", k: 5 }));
    expect(plain[1]).toEqual(plain[0]);
    for (const h of plain[1]) expect(h).not.toHaveProperty("text");
    const [local, remote] = await both("docs", (c) => c.search({ text: "glaciers", k: 5, include: { text: true, metadata: false } }));
    expect(remote).toEqual(local);
    expect(remote.length).toBeGreaterThan(0);
    for (const h of remote) {
      expect(h).not.toHaveProperty("metadata");
      expect(h.text).toBe(DOCS.find((d) => d.id === h.id)!.text);
    }
    raw.request(2, "search", { collection: "docs", text: "glaciers", k: 1, include: { text: true, metadata: ["lang"] } });
    const reply = (await raw.next()) as { result: Record<string, unknown>[] };
    expect(Object.keys(reply.result[0]!).sort()).toEqual(["id", "metadata", "score", "text"]);
    expect(Object.keys(reply.result[0]!.metadata as object)).toEqual(["lang"]);
  });

  it("setMetadata merges over the wire and survives a restart of the collection; delete({filter}) deletes the matches", async () => {
    const remote = await client.collection("docs");
    await remote.setMetadata("g2", { reviewed: true, year: null });
    expect((await remote.get("g2"))!.metadata).toEqual({ lang: "fr", reviewed: true });
    expect((await remote.get("g2"))!.text).toBe("les glaciers fondent");
    await (await served.db.collection("docs")).close(); // the next request opens it again (log replay)
    expect(await remote.get("g2")).toMatchObject({ metadata: { lang: "fr", reviewed: true }, text: "les glaciers fondent" });
    await expect(remote.setMetadata("nope", { a: 1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    raw.request(3, "delete", { collection: "docs", filter: { lang: "fr" } });
    expect(await raw.next()).toMatchObject({ id: 3, result: { deleted: 1 } });
    expect(await remote.delete({ filter: { year: { lt: 2010 } } })).toBe(1);
    expect(await remote.count()).toBe(2);
    expect((await remote.getMany(["g1", "g2", "g3", "v1"])).map((d) => d?.id ?? null)).toEqual([null, null, "g3", "v1"]);
  });

  it("storeText must be a boolean", async () => {
    const expected = { code: "INVALID_ARGUMENT", message: "collection config: storeText must be a boolean, got a string" };
    await expect(served.db.createCollection("bad", { storeText: "yes" as never })).rejects.toMatchObject(expected);
    await expect(client.createCollection("bad", { storeText: "yes" as never })).rejects.toMatchObject(expected);
  });

  it("a collection created with storeText false keeps no text", async () => {
    const remote = await client.collection("plain");
    await remote.upsert([{ id: "p", text: "glaciers" }]);
    expect(await remote.get("p")).not.toHaveProperty("text");
    expect((await remote.search({ text: "glaciers", k: 1, include: { text: true } }))[0]).not.toHaveProperty("text");
  });
});
