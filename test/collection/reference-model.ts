import { SparseVector } from "../../engine/sparse-vector.js";
import { denseScore, type DenseMetric } from "../../engine/dense/dense-metric.js";

/**
 * The in-memory model the Collection must agree with: a map id -> (vector, metadata) and a
 * brute-force top-k that sums scores exactly as the engine defines them (float64, increasing
 * term order; see ForwardIndex.dot).
 */
export class ReferenceModel {
  readonly docs = new Map<string, { vector: SparseVector; metadata: unknown; dense?: Float32Array }>();

  upsert(id: string, vector: SparseVector, metadata: unknown, dense?: Float32Array): void {
    this.docs.set(id, { vector, metadata: metadata ?? null, ...(dense === undefined ? {} : { dense }) });
  }

  /** The exact dense top-k: every document with a dense vector (and accepted), score descending, then id. */
  denseTopK(query: Float32Array, k: number, metric: DenseMetric, accept: (metadata: unknown) => boolean = () => true): { id: string; score: number }[] {
    const out: { id: string; score: number }[] = [];
    for (const [id, d] of this.docs) if (d.dense !== undefined && accept(d.metadata)) out.push({ id, score: denseScore(d.dense, d.dense.length, 0, query, metric) });
    out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out.slice(0, k);
  }

  delete(id: string): boolean {
    return this.docs.delete(id);
  }

  score(vector: SparseVector, query: SparseVector): number | null {
    const dense = new Map<number, number>();
    for (let i = 0; i < query.nnz; i++) dense.set(query.terms[i]!, query.weights[i]!);
    let s = 0, touched = false;
    for (let i = 0; i < vector.nnz; i++) {
      const q = dense.get(vector.terms[i]!);
      if (q !== undefined && q !== 0) {
        s += q * vector.weights[i]!;
        touched = true;
      }
    }
    return touched ? s : null;
  }

  topK(query: SparseVector, k: number, accept: (metadata: unknown) => boolean = () => true): { id: string; score: number }[] {
    const out: { id: string; score: number }[] = [];
    for (const [id, d] of this.docs) {
      const s = this.score(d.vector, query);
      if (s !== null && accept(d.metadata)) out.push({ id, score: s });
    }
    out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out.slice(0, k);
  }
}
