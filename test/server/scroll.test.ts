import { afterEach, describe, expect, it } from "vitest";
import { errorOf } from "../engine/entry-points.js";
import type { ScrollPage, ScrollRequest } from "../../engine/requests.js";
import { MAX_SCROLL_LIMIT } from "../../engine/scroll-request.js";
import { serveDatabase, type ServedDatabase } from "./server-fixture.js";

let served: ServedDatabase | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
});

/** Plain values of a page, to compare pages from the library and the client. */
function plain(page: ScrollPage): unknown {
  return {
    nextCursor: page.nextCursor,
    documents: page.documents.map((d) => ({ id: d.id, metadata: d.metadata, vector: d.vector && { terms: [...d.vector.terms], weights: [...d.vector.weights] } })),
  };
}

describe("scroll through the library, the wire and the client", () => {
  it("gives the same pages from Collection and RemoteCollection, a filter and withVectors: false included", async () => {
    served = await serveDatabase({ limits: { maxBatchDocs: 50 } });
    const local = await served.db.createCollection("docs");
    const docs = Array.from({ length: 23 }, (_, i) => ({
      id: `d${String(i).padStart(2, "0")}`,
      vector: { terms: [i % 5, 7 + (i % 3)], weights: [0.5 + i / 7, 1.25] },
      metadata: i % 4 === 0 ? undefined : { g: i % 3, tag: `t${i}` },
    }));
    await local.upsert(docs.slice(0, 15));
    await local.flush();
    await local.upsert(docs.slice(15));
    await local.delete(["d03", "d17"]);
    const client = await served.client();
    const remote = await client.collection("docs");
    for (const request of [{ limit: 4 }, { limit: 3, filter: { g: 1 } }, { limit: 50, withVectors: false }] as ScrollRequest[]) {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 30; page++) {
        const a = await local.scroll({ ...request, cursor });
        const b = await remote.scroll({ ...request, cursor });
        expect(plain(b)).toEqual(plain(a));
        ids.push(...a.documents.map((d) => d.id));
        if (a.nextCursor === null) break;
        cursor = a.nextCursor;
      }
      const live = docs.map((d) => d.id).filter((id) => id !== "d03" && id !== "d17");
      const want = request.filter === undefined ? live : live.filter((id) => (docs.find((d) => d.id === id)!.metadata as { g?: number } | undefined)?.g === 1);
      expect(ids).toEqual(want);
    }
    const first = await remote.scroll({ limit: 1 });
    expect(first.documents[0]).toMatchObject({ id: "d00", metadata: null });
    expect([...first.documents[0]!.vector!.weights]).toEqual([...new Float32Array([0.5, 1.25])]);
  });

  it("refuses bad requests with INVALID_ARGUMENT everywhere, and a page over maxBatchDocs with LIMIT_EXCEEDED", async () => {
    served = await serveDatabase({ limits: { maxBatchDocs: 50 } });
    const local = await served.db.createCollection("docs");
    await local.upsert([{ id: "a", vector: { terms: [1], weights: [1] } }]);
    const client = await served.client();
    const remote = await client.collection("docs");
    const bad: [unknown, RegExp][] = [
      [{ limit: 0 }, /limit must be an integer in 1\.\.10000, got 0/],
      [{ limit: MAX_SCROLL_LIMIT + 1 }, /limit must be an integer in 1\.\.10000, got 10001/],
      [{ limit: 2.5 }, /limit must be an integer/],
      [{}, /limit must be a number, got nothing/],
      [{ limit: 2, cursor: "d00" }, /cursor "d00" is not a cursor sparsedb made; pass a page's nextCursor unchanged/],
      [{ limit: 2, cursor: "s1.!!" }, /not a cursor sparsedb made/],
      [{ limit: 2, cursor: "s1." }, /not a cursor sparsedb made/],
      [{ limit: 2, cursor: "s1.YQ" }, /not a cursor sparsedb made/], // one byte: not UTF-16
      [{ limit: 2, cursor: 7 }, /cursor must be a string \(a page's nextCursor\), got a number/],
      [{ limit: 2, withVectors: "yes" }, /withVectors must be a boolean, got a string/],
      [{ limit: 2, filter: { year: { gt: "x" } } }, /filter/],
      [[], /scroll takes an object/],
    ];
    for (const [request, message] of bad) {
      const errors = [
        await errorOf(local.scroll(request as ScrollRequest)),
        await errorOf(remote.scroll(request as ScrollRequest)),
        // The server's own check, past the client's.
        await errorOf(client.request("scroll", Array.isArray(request) ? { collection: "docs", limit: request } : { collection: "docs", ...(request as object) })),
      ];
      for (const e of errors.slice(0, 2)) {
        expect(e.code).toBe("INVALID_ARGUMENT");
        expect(e.message).toMatch(message);
      }
      expect(errors[2]!.code).toBe("INVALID_ARGUMENT");
    }
    const limited = await errorOf(remote.scroll({ limit: 51 }));
    expect(limited.code).toBe("LIMIT_EXCEEDED");
    expect(limited.message).toMatch(/at most 50 documents a page/);
    expect((await local.scroll({ limit: 51 })).documents).toHaveLength(1);
  });
});
