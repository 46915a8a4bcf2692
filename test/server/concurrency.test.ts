import { afterEach, describe, expect, it } from "vitest";
import { SparseVector } from "../../engine/sparse-vector.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";

let served: ServedDatabase | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
});

const CLIENTS = 16;
const BATCHES = 12;
const BATCH = 10;

function vectorOf(client: number, batch: number, i: number): SparseVector {
  const base = (client * 7 + batch * 3 + i) % 200;
  return SparseVector.fromArrays([base, 200 + i, 300 + batch], [1 + i / 10, 0.5, 2]);
}

describe("many clients at once", () => {
  it("ingest and search concurrently: nothing is lost and every search sees whole batches", async () => {
    served = await serveDatabase({}, undefined);
    const admin = await served.client();
    await admin.createCollection("c", { memtableMaxDocs: 100 }); // flushes (and merges) happen during the run
    const deadline = Date.now() + 30_000;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => served!.client()));
    const torn: string[] = [];
    const written: [number, number][] = [];
    await Promise.all(
      clients.map(async (client, ci) => {
        const c = await client.collection("c");
        let lastCount = 0;
        for (let b = 0; b < BATCHES && Date.now() < deadline; b++) {
          const tag = `${ci}-${b}`;
          await c.upsert(Array.from({ length: BATCH }, (_, i) => ({ id: `${tag}-${i}`, vector: vectorOf(ci, b, i), metadata: { tag, client: ci } })));
          written.push([ci, b]);
          // A batch is one upsert: a search sees all of it or none of it.
          const other = `${(ci + 1) % CLIENTS}-${b}`;
          const hits = await c.search({ vector: SparseVector.fromArrays([200, 201, 202, 203, 204, 205, 206, 207, 208, 209], new Array(10).fill(1), { role: "query" }), k: 100, filter: { tag: other } });
          if (hits.length !== 0 && hits.length !== BATCH) torn.push(`${other}: ${hits.length}`);
          const mine = await c.search({ vector: SparseVector.fromArrays([300 + b], [1], { role: "query" }), k: 100, filter: { tag } });
          expect(mine.length).toBe(BATCH); // read-your-writes
          const n = await c.count();
          expect(n).toBeGreaterThanOrEqual(lastCount);
          lastCount = n;
        }
      }),
    );
    expect(torn).toEqual([]);
    const c = await admin.collection("c");
    // The time bound may cut a slow run short; every batch that was acknowledged must be there.
    expect(written.length).toBeGreaterThan(0);
    expect(await c.count()).toBe(written.length * BATCH);
    for (const [ci, b] of written.filter((_, i) => i % 7 === 0)) {
      const got = await c.get(`${ci}-${b}-3`);
      expect(got?.vector.equals(vectorOf(ci, b, 3))).toBe(true);
      expect(got?.metadata).toEqual({ tag: `${ci}-${b}`, client: ci });
    }
  });
});
