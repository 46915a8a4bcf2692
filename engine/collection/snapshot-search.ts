import type { SparseVector } from "../sparse-vector.js";
import { chooseApproximate } from "../search/approximate-calibration.js";
import type { RecentQueries } from "../search/recent-queries.js";
import { DEFAULT_MAX_K, searchSegment, type AlgorithmName } from "../search/search.js";
import type { DocFilter } from "../search/algorithm.js";
import type { DocHit } from "../search/top-k.js";
import type { LiveSegment } from "./live-segment.js";
import type { Snapshot } from "./snapshot.js";
import type { StoredDoc } from "./wal-records.js";
import type { ExplainTerm, SearchHit, SearchHits } from "../requests.js";
import { unpackValue } from "../../storage/msgpack.js";
import { completeTies, nthScore, type SegmentResult } from "./tie-completion.js";
import { addIncluded } from "../include-fields.js";
import type { CheckedInclude } from "../validate-request.js";

export interface SnapshotSearchOptions {
  /** The depth: hits retrieved, offset + the request's k. */
  k: number;
  /** Hits of the ranking dropped from the front (paging); 0 when absent. */
  offset?: number;
  /** The request's scoreThreshold: only hits scoring >= it. */
  minScore?: number;
  exact: boolean;
  algorithm?: AlgorithmName;
  /** Metadata predicate, applied during retrieval (so k hits come back when k match). */
  accept?: (metadata: unknown) => boolean;
  explain: boolean;
  /** Mode "approximate": the recall@k to reach (then `exact` must be true). */
  recall?: number;
  /** Mode "approximate": the collection's recent queries, which calibration samples once there are enough. */
  recentQueries?: RecentQueries;
  vocabSize: number;
  tokenOf?: (termId: number) => string | undefined;
  /** What hits carry besides id and score (default: all metadata, no text). */
  include?: CheckedInclude;
}

const DEFAULT_INCLUDE: CheckedInclude = { metadata: true, text: false };

export interface Candidate {
  id: string;
  score: number;
  vector: () => SparseVector | { terms: Uint32Array; weights: Float32Array };
  metadata: () => unknown;
  /** The stored text, or null. */
  text: () => string | null;
}

/**
 * Global top-k over a snapshot: each segment's top-k (deleted and filtered-out docs excluded
 * inside the segment search, so pruning stays rank-safe), the memtable's exact scores, then one
 * merge. Order: score descending, then external id ascending (code-unit order), so results do
 * not depend on which segment a document sits in: a segment cuts a tie at its own last place by
 * doc id (insertion order), which tie-completion.ts makes up for (not in mode "approximate",
 * which is not exact in which documents it finds anyway). `o.k` is the depth (offset + k); the
 * offset and the score threshold are applied in topHits.
 */
export function searchSnapshot(snap: Snapshot, query: SparseVector, o: SnapshotSearchOptions): SearchHits {
  const candidates = memtableCandidates(snap, query, o);
  // The memtable is scored exactly; the global expectation is the weakest segment's.
  let expectedRecall = 1;
  const knobs = new Map<LiveSegment, { alpha: number | undefined; boundMass: number | undefined }>();
  const searchOne = (seg: LiveSegment, k: number): DocHit[] => {
    const { filter, excluded } = segmentFilter(seg, o);
    const limit = { maxK: Math.max(k, DEFAULT_MAX_K) };
    return searchSegment(seg.index, query, { k, exact: o.exact, algorithm: o.algorithm, filter, excluded, alpha: knobs.get(seg)?.alpha, boundMass: knobs.get(seg)?.boundMass, minScore: o.minScore, ...limit }).hits;
  };
  const results: SegmentResult[] = [];
  for (const seg of snap.segments) {
    if (seg.liveDocs === 0) continue;
    // Approximate: each segment's own calibration picks its knobs (approximate-calibration.ts).
    if (o.recall !== undefined) {
      const choice = chooseApproximate(seg.index, o.k, o.recall, o.recentQueries);
      knobs.set(seg, { alpha: choice.alpha, boundMass: choice.boundMass });
      expectedRecall = Math.min(expectedRecall, choice.expectedRecall);
    }
    const asked = segmentDepth(o);
    results.push({ seg, hits: searchOne(seg, asked), asked });
  }
  if (o.recall === undefined) completeTies(results, theta(candidates, results, o), searchOne);
  else o.recentQueries?.add(query);
  for (const r of results) addSegmentHits(candidates, r.seg, r.hits);
  return topHits(candidates, query, o, expectedRecall);
}

/**
 * The k a segment is searched with: the depth, plus one in the exact and fast modes so that a
 * tie cut at the depth can be told (tie-completion.ts). Approximate searches are not exact in
 * which documents they find anyway, and keep the k their calibration was made for.
 */
export function segmentDepth(o: SnapshotSearchOptions): number {
  return o.recall === undefined ? o.k + 1 : o.k;
}

/** The global depth-th score of the first pass (memtable candidates and segment hits), for tie completion. */
export function theta(candidates: Candidate[], results: SegmentResult[], o: SnapshotSearchOptions): number | undefined {
  const scores = candidates.map((c) => c.score);
  for (const r of results) for (const h of r.hits) scores.push(h.score);
  return nthScore(scores, o.k, o.minScore);
}

/**
 * The dense query the memtables are scored against, kept between searches: all zeros except
 * while a search scores (memtableCandidates sets the query's terms and zeroes them again), so
 * a search allocates no vocabulary-sized array (~240 KB for BERT's vocabulary, which made most
 * of a server's garbage collection). Longer than a collection's vocabulary is harmless: the
 * entries beyond it stay 0, which the memtable skips.
 */
let denseScratch = new Float64Array(0);

/** The memtables' top-k candidates (exact scores, the metadata filter applied). */
export function memtableCandidates(snap: Snapshot, query: SparseVector, o: SnapshotSearchOptions): Candidate[] {
  const candidates: Candidate[] = [];
  if (!snap.memtables.some((m) => m.size > 0)) return candidates;
  if (denseScratch.length < o.vocabSize) denseScratch = new Float64Array(o.vocabSize);
  const dense = denseScratch;
  const decoded = new Map<unknown, unknown>();
  const memHits: { doc: StoredDoc; score: number }[] = [];
  for (let i = 0; i < query.nnz; i++) if (query.terms[i]! < o.vocabSize) dense[query.terms[i]!] = query.weights[i]!;
  try {
    for (const m of snap.memtables) {
      const hits = m.score(dense, (d) => {
        if (!o.accept) return true;
        const meta = d.meta ? unpackValue(d.meta) : null;
        decoded.set(d, meta);
        return o.accept(meta);
      });
      for (const h of hits) memHits.push(h);
    }
  } finally {
    // A filter that throws must not leave this query's weights in the next search's scores.
    for (let i = 0; i < query.nnz; i++) if (query.terms[i]! < o.vocabSize) dense[query.terms[i]!] = 0;
  }
  memHits.sort((a, b) => b.score - a.score || (a.doc.id < b.doc.id ? -1 : a.doc.id > b.doc.id ? 1 : 0));
  for (const h of memHits.slice(0, o.k)) {
    const d = h.doc;
    candidates.push({
      id: d.id,
      score: h.score,
      vector: () => d,
      metadata: () => (decoded.has(d) ? decoded.get(d) : d.meta ? unpackValue(d.meta) : null),
      text: () => d.text ?? null,
    });
  }
  return candidates;
}

/** The doc filter a segment's search runs with: deletions and the metadata filter. */
export function segmentFilter(seg: LiveSegment, o: SnapshotSearchOptions): { filter: DocFilter | undefined; excluded: number | undefined } {
  const accept = o.accept;
  const filter = accept
    ? (doc: number) => !seg.isDeleted(doc) && accept(seg.metadata(doc))
    : seg.deletedCount > 0
      ? (doc: number) => !seg.isDeleted(doc)
      : undefined;
  // A deletions-only filter rejects a known number of documents, which lets the range search
  // start from a rank-safe threshold (engine/search/range-query.ts).
  const excluded = accept ? undefined : seg.deletedCount;
  return { filter, excluded };
}

export function addSegmentHits(candidates: Candidate[], seg: LiveSegment, hits: readonly DocHit[]): void {
  for (const h of hits) {
    candidates.push({ id: seg.idAt(h.doc), score: h.score, vector: () => seg.index.forward.vector(h.doc), metadata: () => seg.metadata(h.doc), text: () => seg.text(h.doc) });
  }
}

/**
 * The merged top-k of every candidate, as hits (approximate mode: with the recall it expects):
 * those reaching minScore, ranks offset..k-1 (k being the depth).
 */
export function topHits(candidates: Candidate[], query: SparseVector, o: SnapshotSearchOptions, expectedRecall = 1): SearchHits {
  const min = o.minScore;
  if (min !== undefined) candidates = candidates.filter((c) => c.score >= min);
  candidates.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: SearchHits = candidates.slice(o.offset ?? 0, o.k).map((c) => {
    const hit: SearchHit = { id: c.id, score: c.score };
    addIncluded(hit, o.include ?? DEFAULT_INCLUDE, c.metadata, c.text);
    if (o.explain) hit.explain = explain(query, c.vector(), o.tokenOf);
    return hit;
  });
  if (o.recall !== undefined) out.expectedRecall = expectedRecall;
  return out;
}

export function explain(query: SparseVector, doc: { terms: Uint32Array; weights: Float32Array }, tokenOf?: (t: number) => string | undefined): ExplainTerm[] {
  const out: ExplainTerm[] = [];
  const a = query.terms, b = doc.terms;
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      const qw = query.weights[i]!, dw = doc.weights[j]!;
      const e: ExplainTerm = { termId: a[i]!, queryWeight: qw, docWeight: dw, contribution: qw * dw };
      const tok = tokenOf?.(a[i]!);
      if (tok !== undefined) e.token = tok;
      out.push(e);
      i++;
      j++;
    }
  }
  return out.sort((x, y) => y.contribution - x.contribution || x.termId - y.termId);
}
