import { IndexBuilder } from "../../engine/index/index-builder.js";
import { RangeLayout } from "../../engine/index/range-layout.js";
import { SegmentIndex } from "../../engine/index/segment-index.js";
import { makePlan } from "../../engine/search/query-plan.js";
import type { DocHit } from "../../engine/search/top-k.js";
import { SparseVector } from "../../engine/sparse-vector.js";

/** Seeded corpora, segments and the brute-force top-k the range search tests hold it to. */

/** A seeded corpus, large enough to span pages (1024 docs) and windows (16384 docs) when asked. */
export interface Corpus {
  docs: SparseVector[];
  vocab: number;
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export function makeCorpus(numDocs: number, vocab: number, maxNnz: number, tieWeights: boolean, seed: number): Corpus {
  const rnd = lcg(seed);
  const docs: SparseVector[] = [];
  for (let d = 0; d < numDocs; d++) {
    const m: Record<number, number> = {};
    const nnz = Math.floor(rnd() * (maxNnz + 1));
    for (let i = 0; i < nnz; i++) {
      // Skewed term popularity: low ids are common, so some terms get dense rows.
      const t = Math.floor(vocab * rnd() ** 2);
      m[t] = tieWeights ? [0.5, 1, 2][Math.floor(rnd() * 3)]! : Math.fround(0.001 + 5 * rnd() ** 3);
    }
    docs.push(SparseVector.fromTermMap(m, { vocabSize: vocab }));
  }
  return { docs, vocab };
}

export function segment(c: Corpus, bits: number, minDenseDf: number | undefined, minNibbleDf?: number): SegmentIndex {
  const b = new IndexBuilder({ bits, vocabSize: c.vocab });
  for (const d of c.docs) b.add(d);
  const built = b.build();
  if (minDenseDf === undefined && minNibbleDf === undefined) return built;
  const ranges = RangeLayout.build(built.forward, built.quantizer.maxWeight, c.vocab, { minDenseDf, minNibbleDf });
  return new SegmentIndex(built.forward, built.quantizer, c.vocab, ranges);
}

export function bruteForce(ix: SegmentIndex, c: Corpus, query: SparseVector, k: number, exact: boolean, allowed: (d: number) => boolean): DocHit[] {
  const qt = new Set(query.terms);
  const plan = makePlan(ix, query);
  const qw = new Map(plan.terms.map((t, i) => [t, plan.weights[i]!]));
  const hits: DocHit[] = [];
  c.docs.forEach((v, d) => {
    if (!allowed(d) || !Array.from(v.terms).some((t) => qt.has(t))) return;
    if (exact) {
      hits.push({ doc: d, score: v.dot(query) });
      return;
    }
    let s = 0;
    for (let i = 0; i < v.nnz; i++) {
      const w = qw.get(v.terms[i]!);
      if (w !== undefined) s += w * ix.quantizer.quantize(v.weights[i]!);
    }
    hits.push({ doc: d, score: s * plan.scoreUnit });
  });
  return hits.sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, k);
}

/**
 * A property case's filter: ~30% of the documents rejected (drawn from `seed`), as none, as
 * deletes (the search is told how many it rejects, which lets it start from a threshold) or as
 * a metadata filter. `allowed` is the predicate the brute force applies in every case.
 */
export function caseFilter(numDocs: number, kind: "none" | "deletes" | "metadata", seed: number): { allowed: (d: number) => boolean; filter: ((d: number) => boolean) | undefined; excluded: number | undefined } {
  const rnd = lcg(seed);
  const rejected = new Set<number>();
  if (kind !== "none") for (let d = 0; d < numDocs; d++) if (rnd() < 0.3) rejected.add(d);
  const allowed = (d: number) => !rejected.has(d);
  return { allowed, filter: kind === "none" ? undefined : allowed, excluded: kind === "deletes" ? rejected.size : undefined };
}
