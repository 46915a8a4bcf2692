import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../../engine/server/frame.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { RawConnection } from "./raw-socket.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";

let served: ServedDatabase | undefined;
const raws: RawConnection[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  await served?.stop();
  served = undefined;
});

/** A deterministic corpus: 30 terms per document out of 3000. */
function docVector(i: number): SparseVector {
  const terms = new Set<number>();
  for (let j = 0; j < 30; j++) terms.add((i * 7919 + j * 104729) % 3000);
  const sorted = [...terms].sort((a, b) => a - b);
  return SparseVector.fromArrays(sorted, sorted.map((t) => 1 + ((t * 31 + i) % 17) / 8));
}

async function servedCorpus(docs: number, memtableMaxDocs = 100_000): Promise<ServedDatabase> {
  const s = await serveDatabase();
  const admin = await s.client();
  await admin.createCollection("c", { memtableMaxDocs });
  const c = await admin.collection("c");
  for (let first = 0; first < docs; first += 1000) {
    await c.upsert(Array.from({ length: Math.min(1000, docs - first) }, (_, i) => ({ id: `d${first + i}`, vector: docVector(first + i) })));
  }
  await c.flush();
  return s;
}

/**
 * `n` pipelined searches. Short ones (two query terms, ~60 bytes a frame), so that one socket
 * read carries a thousand of them: a server that ran what it reads at once would run them all
 * before it looks at another connection.
 */
function searchFrames(first: number, n: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = first; i < first + n; i++) {
    frames.push(encodeFrame({ id: i, op: "search", args: { collection: "c", k: 10, vector: { terms: [i % 1500, 1500 + ((i * 7) % 1500)], weights: [1, 0.5] } } }));
  }
  return Buffer.concat(frames);
}

async function open(port: number): Promise<RawConnection> {
  const r = await RawConnection.open(port);
  raws.push(r);
  return r;
}

describe("fair scheduling across connections", () => {
  it("answers a new connection's ping while another connection has thousands of searches queued", async () => {
    served = await servedCorpus(3000);
    const N = 4000;
    const busy = await open(served.port);
    busy.write(searchFrames(0, N)); // one write: the server reads all of it as fast as it can
    const first = await busy.next(30_000);
    expect(first.error).toBeUndefined();
    // A connection that arrives now, while nearly all of the busy one's searches wait.
    const newcomer = await open(served.port);
    newcomer.request("p", "ping");
    const pong = await newcomer.next(30_000);
    const busyRepliesAtPong = busy.received;
    expect(pong).toEqual({ id: "p", result: { pong: true, protocol: 1 } });
    // Served in turn, the newcomer waited for a few turns' worth of searches, not the whole queue.
    expect(busyRepliesAtPong).toBeLessThan(N / 2);
    // And the busy connection still gets every reply.
    const rest = await busy.collect(N - 1, 60_000);
    const ids = new Set([first, ...rest].map((r) => r.id));
    expect(ids.size).toBe(N);
    expect(rest.every((r) => Array.isArray(r.result) && r.result.length === 10)).toBe(true);
  }, 120_000);

  it("runs a newcomer's search in its turn, ahead of the other connection's queue", async () => {
    served = await servedCorpus(2000);
    const N = 3000;
    const busy = await open(served.port);
    busy.write(searchFrames(0, N));
    await busy.next(30_000);
    const newcomer = await open(served.port);
    newcomer.write(searchFrames(N, 1));
    const reply = await newcomer.next(30_000);
    expect(reply.id).toBe(N);
    expect(reply.result).toHaveLength(10);
    expect(busy.received).toBeLessThan(N / 2);
    await busy.collect(N - 1, 60_000);
  }, 120_000);

  it("a background flush and upserts complete while searches keep every turn busy", async () => {
    served = await servedCorpus(2000, 500);
    const load = await open(served.port);
    // Closed-loop load: 256 searches in flight at all times, bounded in total.
    const WINDOW = 256, MAX = 200_000;
    let sent = 0, stop = false;
    const pump = (async () => {
      load.write(searchFrames(0, WINDOW));
      sent = WINDOW;
      while (!stop && sent < MAX) {
        const r = await load.next(60_000);
        expect(r.error).toBeUndefined();
        load.write(searchFrames(sent % 10_000, 1));
        sent++;
      }
    })();
    await load.next(30_000).then((r) => expect(r.error).toBeUndefined());
    const client = await served.client();
    const c = await client.collection("c");
    // Over the memtable limit (500) several times over: flushes must run for these to be acknowledged.
    for (let b = 0; b < 6; b++) {
      await c.upsert(Array.from({ length: 250 }, (_, i) => ({ id: `n${b}-${i}`, vector: docVector(10_000 + b * 250 + i) })));
    }
    await c.flush();
    const stats = await c.stats();
    const doneAt = sent;
    stop = true;
    await pump;
    expect(stats.memtableDocs).toBe(0);
    expect(stats.docs).toBe(2000 + 1500);
    // The writes finished while the load still ran (a few thousand searches' worth here; how much
    // faster than before the run queue is measured by npm run bench -- server, not asserted).
    expect(doneAt).toBeLessThan(MAX);
    expect(await c.count()).toBe(3500);
  }, 120_000);
});
