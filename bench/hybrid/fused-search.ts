import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../engine/database.js";
import type { DenseIndexKind } from "../../engine/dense/dense-config.js";
import type { Fusion } from "../../engine/dense/fusion.js";
import type { DocumentInput } from "../../engine/requests.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { summarizeLatency, type LatencySummary } from "../metrics/latency.js";
import { generateDocumentBatch } from "../synthetic/generator.js";
import type { ClusteredDenseGenerator } from "./dense-generator.js";

/**
 * The collection-level half of the hybrid benchmark: the same synthetic documents bulk-loaded
 * into a collection with a dense vector (durability off), then per query the sparse leg alone,
 * the dense leg alone (each at the prefetch depth the fused search gives its legs) and the fused
 * search, through the public `Collection.search`. The target: a fused search costs at most the
 * sum of its legs + 10% (medians, measured interleaved query by query so load hits all three alike).
 */
export interface FusedSearchReport {
  docs: number;
  denseIndex: DenseIndexKind;
  fusion: string;
  prefetch: number;
  loadSeconds: number;
  sparse: LatencySummary;
  dense: LatencySummary;
  fused: LatencySummary;
  /** fused median / (sparse median + dense median). */
  fusedOverLegs: number;
  withinTarget: boolean;
}

export interface FusedSearchOptions {
  docs: number;
  seed: number;
  gen: ClusteredDenseGenerator;
  sparseQueries: readonly SparseVector[];
  denseQueries: readonly Float32Array[];
  k: number;
  fusion: Fusion;
  denseIndex: DenseIndexKind;
  log: (line: string) => void;
}

export async function measureFusedSearch(o: FusedSearchOptions): Promise<FusedSearchReport> {
  const dir = await mkdtemp(join(tmpdir(), "sparsedb-bench-hybrid-"));
  const db = await Database.open(join(dir, "db"));
  try {
    const c = await db.createCollection("hybrid", { durability: "off", metric: "dot", dense: { dims: o.gen.dims, metric: "cosine", index: o.denseIndex } });
    const t0 = performance.now();
    const { gen, seed, docs } = o;
    await c.bulkLoad(
      (async function* (): AsyncGenerator<DocumentInput> {
        const batchSize = 8192;
        for (let first = 0; first < docs; first += batchSize) {
          const sparse = generateDocumentBatch(first, Math.min(batchSize, docs - first), { seed });
          const { dense } = gen.documentBatch(sparse);
          for (let i = 0; i < sparse.count; i++) {
            const from = sparse.docOffsets[i]!, to = sparse.docOffsets[i + 1]!;
            yield { id: `d${first + i}`, vector: { terms: sparse.terms.subarray(from, to), weights: sparse.weights.subarray(from, to) }, dense: dense.slice(i * gen.dims, (i + 1) * gen.dims) };
          }
        }
      })(),
    );
    const loadSeconds = (performance.now() - t0) / 1000;
    o.log(`fused: bulk-loaded ${docs} documents in ${loadSeconds.toFixed(1)} s`);
    // The fused search's default prefetch (hybrid-search-options.ts): max(4 x depth, 20).
    const prefetch = Math.max(4 * o.k, 20);
    const samples = { sparse: [] as number[], dense: [] as number[], fused: [] as number[] };
    const time = async (into: number[], run: () => Promise<unknown>) => {
      const t = performance.now();
      await run();
      into.push(performance.now() - t);
    };
    for (let i = 0; i < Math.min(3, o.sparseQueries.length); i++) await c.search({ vector: o.sparseQueries[i]!, dense: o.denseQueries[i]!, k: o.k, fusion: o.fusion }); // warm-up
    for (let i = 0; i < o.sparseQueries.length; i++) {
      const vector = o.sparseQueries[i]!, dense = o.denseQueries[i]!;
      await time(samples.sparse, () => c.search({ vector, k: prefetch }));
      await time(samples.dense, () => c.search({ dense, k: prefetch }));
      await time(samples.fused, () => c.search({ vector, dense, k: o.k, fusion: o.fusion, prefetch }));
    }
    const sparse = summarizeLatency(samples.sparse), dense = summarizeLatency(samples.dense), fused = summarizeLatency(samples.fused);
    const fusedOverLegs = fused.p50Ms / (sparse.p50Ms + dense.p50Ms);
    return { docs, denseIndex: o.denseIndex, fusion: JSON.stringify(o.fusion), prefetch, loadSeconds, sparse, dense, fused, fusedOverLegs, withinTarget: fusedOverLegs <= 1.1 };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}
