import { unpackValue } from "../../storage/msgpack.js";
import type { DenseMetric } from "../dense/dense-metric.js";
import { denseScore } from "../dense/dense-metric.js";
import { fuse, type FusedHit } from "../dense/fusion.js";
import type { CheckedFusion, RerankBy } from "../hybrid-search-options.js";
import { addIncluded } from "../include-fields.js";
import type { SearchHit, SearchHits } from "../requests.js";
import type { SparseVector } from "../sparse-vector.js";
import type { CheckedInclude } from "../validate-request.js";
import { denseSearchSnapshot, type LegHit } from "./dense-snapshot-search.js";
import { idHash } from "./id-hash.js";
import { explain } from "./snapshot-search.js";
import type { Snapshot } from "./snapshot.js";

export interface HybridSearchOptions {
  /** The depth: offset + the request's k. */
  k: number;
  offset: number;
  minScore?: number;
  accept?: (metadata: unknown) => boolean;
  explain: boolean;
  include: CheckedInclude;
  metric: DenseMetric;
  /** The dense query, scaled as the metric stores vectors (cosine: unit length). */
  dense: Float32Array;
  /** The sparse query (scaled for the sparse metric), and its leg: the snapshot's sparse top-k of that depth (filter applied). */
  sparse?: { query: SparseVector; search: (k: number) => LegHit[] };
  fusion?: CheckedFusion;
  rerank?: RerankBy;
  /** Candidates each leg (or a rerank's first stage) retrieves. */
  prefetch: number;
  vocabSize: number;
  tokenOf?: (termId: number) => string | undefined;
}

/**
 * A search with a dense query over one snapshot (README "Hybrid search"):
 * - only dense: the dense leg's top-k (dense-snapshot-search.ts);
 * - with a sparse query and a fusion: each leg's `prefetch` best (the filter and deletions applied
 *   in both, before fusion), fused by engine/dense/fusion.ts (every id once, ties by id);
 * - rerank "dense": the sparse leg's prefetch best re-scored by exact dense similarity (those
 *   without a dense vector drop out); "sparse": the dense leg's, re-scored by the exact float dot
 *   product of the sparse vectors (summed as the engine sums it, float64 in term order).
 * Then, as every search: scoreThreshold on the final score, hits offset..k-1, include, explain
 * (the legs' ranks and scores, and the sparse terms' contributions).
 */
export function hybridSearchSnapshot(snap: Snapshot, o: HybridSearchOptions): SearchHits {
  let ranked: FusedHit<string>[];
  const denseLeg = (k: number): LegHit[] => denseSearchSnapshot(snap, o.dense, { k, metric: o.metric, accept: o.accept });
  if (o.sparse === undefined) {
    ranked = denseLeg(o.k).map((h, i) => ({ id: h.id, score: h.score, legs: { dense: { rank: i + 1, score: h.score } } }));
  } else if (o.rerank === "dense") {
    const first = o.sparse.search(o.prefetch);
    ranked = rerank(first, "sparse", (id) => {
      const v = findLive(snap, id)?.dense() ?? null;
      return v === null ? null : denseScore(v, v.length, 0, o.dense, o.metric);
    }, "dense");
  } else if (o.rerank === "sparse") {
    const first = denseLeg(o.prefetch);
    const q = denseQuery(o.sparse.query, o.vocabSize);
    ranked = rerank(first, "dense", (id) => {
      const v = findLive(snap, id)?.vector() ?? null;
      return v === null ? null : sparseDot(v, q);
    }, "sparse");
  } else {
    ranked = fuse({ sparse: o.sparse.search(o.prefetch), dense: denseLeg(o.prefetch) }, o.fusion ?? "rrf");
  }
  const min = o.minScore;
  if (min !== undefined) ranked = ranked.filter((h) => h.score >= min);
  return ranked.slice(o.offset, o.k).map((r) => {
    const hit: SearchHit = { id: r.id, score: r.score };
    const doc = findLive(snap, r.id);
    addIncluded(hit, o.include, () => doc?.metadata() ?? null, () => doc?.text() ?? null);
    if (o.explain) {
      if (o.sparse !== undefined && doc !== null) hit.explain = explain(o.sparse.query, doc.vector(), o.tokenOf);
      hit.legs = { sparse: r.legs.sparse ?? null, dense: r.legs.dense ?? null };
    }
    return hit;
  });
}

/** A first stage's hits re-scored by the second leg (null: the document drops out), best first, ties by id. */
function rerank(first: LegHit[], firstLeg: "sparse" | "dense", score: (id: string) => number | null, secondLeg: "sparse" | "dense"): FusedHit<string>[] {
  const out: FusedHit<string>[] = [];
  first.forEach((h, i) => {
    const s = score(h.id);
    if (s !== null) out.push({ id: h.id, score: s, legs: { [firstLeg]: { rank: i + 1, score: h.score } } });
  });
  out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  out.forEach((h, i) => (h.legs[secondLeg] = { rank: i + 1, score: h.score }));
  return out;
}

function denseQuery(q: SparseVector, vocabSize: number): Float64Array {
  const out = new Float64Array(vocabSize);
  for (let i = 0; i < q.nnz; i++) if (q.terms[i]! < vocabSize) out[q.terms[i]!] = q.weights[i]!;
  return out;
}

/** The exact float score of a stored sparse vector: float64, the document's terms in increasing order (ForwardIndex.dot's sum). */
function sparseDot(v: { terms: ArrayLike<number>; weights: ArrayLike<number> }, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.terms.length; i++) {
    const w = q[v.terms[i]!];
    if (w !== undefined && w !== 0) s += w * v.weights[i]!;
  }
  return s;
}

/** A live document of the snapshot, by id: the newest memtable version, else the segment holding it undeleted. */
interface LiveView {
  vector(): { terms: Uint32Array; weights: Float32Array };
  dense(): Float32Array | null;
  metadata(): unknown;
  text(): string | null;
}

function findLive(snap: Snapshot, id: string): LiveView | null {
  for (const m of snap.memtables) {
    const d = m.get(id);
    if (d !== undefined) return { vector: () => d, dense: () => d.dense ?? null, metadata: () => (d.meta ? unpackValue(d.meta) : null), text: () => d.text ?? null };
  }
  const hash = idHash(id);
  for (const seg of snap.segments) {
    const doc = seg.docOf(id, hash);
    if (doc >= 0) return { vector: () => seg.index.forward.vector(doc), dense: () => seg.denseOf(doc), metadata: () => seg.metadata(doc), text: () => seg.text(doc) };
  }
  return null;
}
