import type { KernelQuery } from "../search/kernel-abi.js";

/**
 * The search pool's two hot messages (search-pool.ts <-> search-worker.ts), each packed into one
 * ArrayBuffer that is transferred, not cloned: a message of nested objects with five typed
 * arrays cost the main thread ~25 us of structured cloning and transfer bookkeeping per search,
 * one buffer ~8 us. Imports only types (the worker loads it from dist/ without the engine).
 *
 * Search: float64 header (SEARCH_HEADER fields), then the float64 score weights, then the
 * uint32 terms, dense, nibble and rare lists, lengths in the header. The segment's deletion
 * bitset is not in it: the pool sends a segment's bitset to a thread in a message of its own
 * when it changed (before the first search that needs the new one), and a search says only
 * whether to apply it.
 *
 * Reply: float64 [job, hits, postings scored, candidates, docs..., scores...].
 */

const H_JOB = 0, H_SEGMENT = 1, H_K = 2, H_COLLECT = 3, H_THR_SCALE = 4, H_SLACK = 5, H_QUANTIZED = 6, H_QUANT_STEP = 7, H_MAX_IMPACT = 8;
const H_MAX_RANGES = 9, H_DELETIONS = 10, H_TERMS = 11, H_DENSE = 12, H_NIBBLE = 13, H_RARE = 14;
const SEARCH_HEADER = 15;

/** What a search message carries (the query as the kernel reads it, KernelQuery, plus routing). */
export interface SearchJob {
  job: number;
  /** The pool's id of the segment (sent to the thread beforehand). */
  segment: number;
  k: number;
  /** Apply the segment's deletion bitset (the last one sent for the segment). */
  deletions: boolean;
  rq: KernelQuery;
}

export function encodeSearch(s: SearchJob): ArrayBuffer {
  const { rq } = s;
  const nTerms = rq.terms.length;
  const floats = SEARCH_HEADER + nTerms;
  const ints = nTerms + rq.dense.length + rq.nibble.length + rq.rare.length;
  const buffer = new ArrayBuffer(8 * floats + 4 * ints);
  const f = new Float64Array(buffer, 0, floats);
  f[H_JOB] = s.job;
  f[H_SEGMENT] = s.segment;
  f[H_K] = s.k;
  f[H_COLLECT] = rq.collectUnits;
  f[H_THR_SCALE] = rq.thrScale;
  f[H_SLACK] = rq.slackUnits;
  f[H_QUANTIZED] = rq.quantized ? 1 : 0;
  f[H_QUANT_STEP] = rq.quantStep;
  f[H_MAX_IMPACT] = rq.maxImpact;
  f[H_MAX_RANGES] = rq.maxRanges ?? 0;
  f[H_DELETIONS] = s.deletions ? 1 : 0;
  f[H_TERMS] = nTerms;
  f[H_DENSE] = rq.dense.length;
  f[H_NIBBLE] = rq.nibble.length;
  f[H_RARE] = rq.rare.length;
  const sw = rq.scoreWeights;
  for (let i = 0; i < nTerms; i++) f[SEARCH_HEADER + i] = sw[i]!;
  const u = new Uint32Array(buffer, 8 * floats, ints);
  let at = copyInto(u, 0, rq.terms);
  at = copyInto(u, at, rq.dense);
  at = copyInto(u, at, rq.nibble);
  copyInto(u, at, rq.rare);
  return buffer;
}

/** Writes `list` into `u` from `at`; returns the index after it. */
function copyInto(u: Uint32Array, at: number, list: ArrayLike<number>): number {
  for (let i = 0; i < list.length; i++) u[at + i] = list[i]!;
  return at + list.length;
}

/** The search a buffer of encodeSearch holds; its lists are views into the buffer. */
export function decodeSearch(buffer: ArrayBuffer): SearchJob {
  const head = new Float64Array(buffer, 0, SEARCH_HEADER);
  const nTerms = head[H_TERMS]!, nDense = head[H_DENSE]!, nNibble = head[H_NIBBLE]!, nRare = head[H_RARE]!;
  const floats = SEARCH_HEADER + nTerms;
  let at = 8 * floats;
  const ints = (n: number): Uint32Array => {
    const v = new Uint32Array(buffer, at, n);
    at += 4 * n;
    return v;
  };
  const scoreWeights = new Float64Array(buffer, 8 * SEARCH_HEADER, nTerms);
  const terms = ints(nTerms), dense = ints(nDense), nibble = ints(nNibble), rare = ints(nRare);
  return {
    job: head[H_JOB]!,
    segment: head[H_SEGMENT]!,
    k: head[H_K]!,
    deletions: head[H_DELETIONS] === 1,
    rq: {
      terms, scoreWeights, dense, nibble, rare,
      collectUnits: head[H_COLLECT]!, thrScale: head[H_THR_SCALE]!, slackUnits: head[H_SLACK]!,
      quantized: head[H_QUANTIZED] === 1, quantStep: head[H_QUANT_STEP]!, maxImpact: head[H_MAX_IMPACT]!, maxRanges: head[H_MAX_RANGES]!,
    },
  };
}

export interface SearchReply {
  job: number;
  /** The kernel's heap: doc ids and their scores (quantized units in fast mode), unsorted. */
  docs: ArrayLike<number>;
  scores: ArrayLike<number>;
  postings: number;
  candidates: number;
}

const REPLY_HEADER = 4;

/** The first `size` entries of the kernel's heap (docs, scores) and its counters, copied into one fresh buffer. */
export function encodeReply(job: number, docs: ArrayLike<number>, scores: ArrayLike<number>, size: number, postings: number, candidates: number): ArrayBuffer {
  const buffer = new ArrayBuffer(8 * (REPLY_HEADER + 2 * size));
  const f = new Float64Array(buffer);
  f[0] = job;
  f[1] = size;
  f[2] = postings;
  f[3] = candidates;
  for (let i = 0; i < size; i++) {
    f[REPLY_HEADER + i] = docs[i]!;
    f[REPLY_HEADER + size + i] = scores[i]!;
  }
  return buffer;
}

export function decodeReply(buffer: ArrayBuffer): SearchReply {
  const f = new Float64Array(buffer);
  const size = f[1]!;
  return {
    job: f[0]!,
    docs: f.subarray(REPLY_HEADER, REPLY_HEADER + size),
    scores: f.subarray(REPLY_HEADER + size, REPLY_HEADER + 2 * size),
    postings: f[2]!,
    candidates: f[3]!,
  };
}
