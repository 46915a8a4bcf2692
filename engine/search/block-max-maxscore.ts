import type { BlockMaxCursor, SearchContext, TopKAlgorithm } from "./algorithm.js";
import { END } from "./posting-cursor.js";

/** Documents per window: the accumulator (float64 x window) stays in the L1/L2 cache. */
export const DEFAULT_WINDOW = 4096;

/**
 * Block-max MaxScore over doc-id windows (as Lucene's MaxScoreBulkScorer does it). The doc-id
 * space is walked in windows of 4096; in each window every term's bound is the largest
 * block-max of its blocks that overlap the window (0 when the term has no posting there), so
 * the MaxScore split into essential and non-essential terms is redone per window with
 * tighter bounds, and a window whose bounds cannot reach the threshold is skipped whole.
 * Essential terms are accumulated term-at-a-time into a window-sized array; each touched
 * document then probes the non-essential terms (largest bound first) while it can still
 * reach the threshold.
 */
export const blockMaxMaxScore: TopKAlgorithm = (ctx) => blockMaxMaxScoreWindowed(ctx, DEFAULT_WINDOW);

/** The same with a chosen window size (a multiple of 32); tests use small windows. */
export function blockMaxMaxScoreWindowed(ctx: SearchContext<BlockMaxCursor>, window: number): number {
  const WINDOW = window;
  const { collector } = ctx;
  const cursors = ctx.cursors();
  const n = cursors.length;
  const acc = new Float64Array(WINDOW);
  const seen = new Uint32Array(WINDOW / 32);
  const bound = new Float64Array(n);
  const order: BlockMaxCursor[] = cursors.slice();
  const upper = new Float64Array(n);
  let scored = 0;

  let start = END;
  for (const c of cursors) if (c.doc < start) start = c.doc;
  while (start < END) {
    const end = start + WINDOW;
    // Window bounds, then sort ascending by bound (insertion sort: n is small).
    for (let i = 0; i < n; i++) bound[i] = order[i]!.doc < end ? order[i]!.windowMaxScore(start, end) : 0;
    for (let i = 1; i < n; i++) {
      const c = order[i]!, b = bound[i]!;
      let j = i - 1;
      while (j >= 0 && bound[j]! > b) {
        order[j + 1] = order[j]!;
        bound[j + 1] = bound[j]!;
        j--;
      }
      order[j + 1] = c;
      bound[j + 1] = b;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) upper[i] = sum += bound[i]!;
    let threshold = collector.threshold;
    let firstEssential = 0;
    while (firstEssential < n && upper[firstEssential]! < threshold) firstEssential++;

    if (firstEssential < n) {
      // Essential terms, term-at-a-time into the window accumulator.
      for (let i = firstEssential; i < n; i++) {
        const c = order[i]!;
        c.nextGEQ(start);
        scored += c.accumulate(start, end, acc, seen);
      }
      // Touched documents in doc order: probe the non-essential terms.
      for (let w = 0; w < seen.length; w++) {
        let bits = seen[w]!;
        if (bits === 0) continue;
        seen[w] = 0;
        while (bits !== 0) {
          const bit = 31 - Math.clz32(bits & -bits);
          bits &= bits - 1;
          const off = (w << 5) | bit;
          const doc = start + off;
          let score = acc[off]!;
          acc[off] = 0;
          if (firstEssential > 0 && score + upper[firstEssential - 1]! < threshold) continue;
          let alive = true;
          for (let i = firstEssential - 1; i >= 0; i--) {
            if (score + upper[i]! < threshold) {
              alive = false;
              break;
            }
            const c = order[i]!;
            c.nextGEQ(doc);
            if (c.doc === doc) {
              score += c.score();
              scored++;
            }
          }
          if (alive) {
            collector.offer(doc, score);
            threshold = collector.threshold;
          }
        }
      }
    }
    // Next window: where the next posting of any term lies.
    start = END;
    for (let i = 0; i < n; i++) {
      const c = order[i]!;
      if (c.doc < end) c.nextGEQ(end);
      if (c.doc < start) start = c.doc;
    }
  }
  return scored;
}
