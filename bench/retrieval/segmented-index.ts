import type { ApproximateParams } from "../../engine/search/approximate-calibration.js";
import type { IndexMemory, SegmentIndex } from "../../engine/index/segment-index.js";
import { rangeMaxBytes } from "../../engine/search/range-max-table.js";
import { searchSegment, type SegmentSearchOptions, type SegmentSearchResult } from "../../engine/search/search.js";
import { compareHits, type DocHit } from "../../engine/search/top-k.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { FloatReference } from "./float-reference.js";

/**
 * The benchmark's corpus as one or more segments of consecutive doc ids (a collection holds
 * several; one segment's search kernel memory is at most 4 GiB). A search runs every segment and
 * merges their top-k, as a collection's snapshot does; doc ids are global.
 */
export class SegmentedIndex {
  readonly segments: SegmentIndex[];
  private readonly bases: number[];

  constructor(segments: SegmentIndex[]) {
    this.segments = segments;
    let base = 0;
    this.bases = segments.map((s) => ((base += s.numDocs), base - s.numDocs));
  }

  get numDocs(): number {
    return this.segments.reduce((n, s) => n + s.numDocs, 0);
  }

  get numPostings(): number {
    return this.segments.reduce((n, s) => n + s.numPostings, 0);
  }

  memory(): IndexMemory {
    const m: IndexMemory = { postings: 0, invertedBytes: 0, rangeBytes: 0, forwardBytes: 0, invertedBytesPerPosting: 0 };
    for (const s of this.segments) {
      const x = s.memory();
      m.postings += x.postings;
      m.invertedBytes += x.invertedBytes;
      m.rangeBytes += x.rangeBytes;
      m.forwardBytes += x.forwardBytes;
    }
    m.invertedBytesPerPosting = m.postings > 0 ? (m.invertedBytes + m.rangeBytes) / m.postings : 0;
    return m;
  }

  /** bmp's range-max tables, where bmp has built them. */
  bmpTableBytes(): number {
    return this.segments.reduce((n, s) => n + (s.memory().invertedBytes > 0 ? rangeMaxBytes(s.inverted) : 0), 0);
  }

  /** `params`: approximate mode's knobs per segment (each segment's own calibration). */
  search(query: SparseVector, o: SegmentSearchOptions, params?: ApproximateParams[]): SegmentSearchResult {
    const with_ = (i: number): SegmentSearchOptions => (params === undefined ? o : { ...o, alpha: params[i]!.alpha, boundMass: params[i]!.boundMass, refineTerms: params[i]!.refineTerms ?? o.refineTerms });
    if (this.segments.length === 1) return searchSegment(this.segments[0]!, query, with_(0));
    const out: SegmentSearchResult = { hits: [], postingsScored: 0, candidates: 0 };
    this.segments.forEach((s, i) => {
      const r = searchSegment(s, query, with_(i));
      for (const h of r.hits) out.hits.push({ doc: h.doc + this.bases[i]!, score: h.score });
      out.postingsScored += r.postingsScored;
      out.candidates += r.candidates;
      if (r.phases !== undefined) {
        const p = (out.phases ??= { boundsMs: 0, collectMs: 0, scoreMs: 0 });
        p.boundsMs += r.phases.boundsMs;
        p.collectMs += r.phases.collectMs;
        p.scoreMs += r.phases.scoreMs;
      }
    });
    out.hits.sort(compareHits);
    out.hits.length = Math.min(out.hits.length, o.k);
    return out;
  }

  /** The exact float top-k by the benchmark's own reference, independent of the engine's search. */
  reference(): { topK(query: SparseVector, k: number): DocHit[] } {
    const refs = this.segments.map((s) => new FloatReference(s.forward, s.numTerms));
    return {
      topK: (query, k) => {
        const hits: DocHit[] = [];
        refs.forEach((r, i) => {
          for (const h of r.topK(query, k)) hits.push({ doc: h.doc + this.bases[i]!, score: h.score });
        });
        return hits.sort(compareHits).slice(0, k);
      },
    };
  }
}
