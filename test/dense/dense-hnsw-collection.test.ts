import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { denseScore } from "../../engine/dense/dense-metric.js";
import { FLAT_BELOW_ROWS } from "../../engine/dense/hnsw-dense-index.js";
import { loadUsearch } from "../../engine/dense/usearch-module.js";
import { nodeFileSystem } from "../../storage/file-system.js";
import { readSegmentFile } from "../../storage/segment-file.js";
import { tempDir } from "../collection/temp-dir.js";

const usearch = await loadUsearch().then(() => true, () => false);
const DIMS = 8;

/** Deterministic pseudo-random vectors (a small LCG), so the test is the same every run. */
function vectors(n: number, seed: number): Float32Array[] {
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Array.from({ length: n }, () => Float32Array.from({ length: DIMS }, next));
}

describe.skipIf(!usearch)('dense index "hnsw" in a collection', () => {
  it("segments above FLAT_BELOW_ROWS get a dense.hnsw section, rebuilt by merges; searches find the flat top-k (recall >= 0.9) with exact scores, deletions and filters respected", async () => {
    const t = tempDir();
    const dense = { dims: DIMS, metric: "dot" as const, index: "hnsw" as const };
    try {
      let c = await CollectionStore.open(t.dir, { create: true, dense, autoMerge: false });
      const n = FLAT_BELOW_ROWS + 300;
      const rows = vectors(n, 7);
      const ids = rows.map((_, i) => `d${i}`);
      for (let i = 0; i < n; i += 500) await c.upsert(rows.slice(i, i + 500).map((v, j) => ({ id: ids[i + j]!, dense: v, metadata: { g: (i + j) % 3 } })));
      await c.flush();
      await c.upsert([{ id: "extra", dense: rows[0]! }]);
      await c.flush();
      await c.forceMerge();
      expect(c.stats().segments).toBe(1);
      // (A merge's sources are removed once no reader holds them: find the merged file by its size.)
      const merged = [];
      for (const f of readdirSync(t.dir).filter((f) => f.endsWith(".sdb"))) {
        const { sections } = await readSegmentFile(nodeFileSystem, `${t.dir}/${f}`);
        if ((sections.arrays["dense.docs"]?.length ?? 0) === n + 1) merged.push(sections);
      }
      expect(merged).toHaveLength(1);
      expect(merged[0]!.arrays["dense.hnsw"]).toBeInstanceOf(Uint8Array);
      const deleted = new Set(ids.slice(0, 50));
      await c.delete([...deleted]);
      await c.close();
      c = await CollectionStore.open(t.dir, { dense, autoMerge: false });
      const live = new Map<string, { v: Float32Array; g: number }>();
      rows.forEach((v, i) => deleted.has(ids[i]!) || live.set(ids[i]!, { v, g: i % 3 }));
      live.set("extra", { v: rows[0]!, g: -1 });
      let found = 0, wanted = 0;
      for (const [qi, q] of vectors(20, 99).entries()) {
        const g = qi % 2 === 0 ? undefined : 1;
        const truth = [...live].filter(([, d]) => g === undefined || d.g === g).map(([id, d]) => ({ id, score: denseScore(d.v, DIMS, 0, q, "dot") })).sort((a, b) => b.score - a.score).slice(0, 10);
        const hits = await c.search({ dense: q, k: 10, filter: g === undefined ? undefined : { g } });
        expect(hits).toHaveLength(10);
        for (const h of hits) {
          expect(deleted.has(h.id)).toBe(false);
          expect(h.score).toBe(denseScore(live.get(h.id)!.v, DIMS, 0, q, "dot"));
          if (g !== undefined) expect(live.get(h.id)!.g).toBe(g);
        }
        const truthIds = new Set(truth.map((x) => x.id));
        found += hits.filter((h) => truthIds.has(h.id)).length;
        wanted += truth.length;
      }
      expect(found / wanted).toBeGreaterThanOrEqual(0.9);
      await c.close();
    } finally {
      t.cleanup();
    }
  });
});
