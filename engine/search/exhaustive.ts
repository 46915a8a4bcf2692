import type { ScoredCursor, SearchContext } from "./algorithm.js";
import { END } from "./posting-cursor.js";

/**
 * The reference: document-at-a-time over every posting of every query term (PISA's ranked_or).
 * Each matching document is scored in full and offered; nothing is pruned.
 */
export function exhaustive(ctx: SearchContext<ScoredCursor>): number {
  const cursors = ctx.cursors();
  const { collector } = ctx;
  const n = cursors.length;
  let scored = 0;
  let cur = END;
  for (const c of cursors) if (c.doc < cur) cur = c.doc;
  while (cur < END) {
    let score = 0;
    let next = END;
    for (let i = 0; i < n; i++) {
      const c = cursors[i]!;
      if (c.doc === cur) {
        score += c.score();
        scored++;
        c.next();
      }
      if (c.doc < next) next = c.doc;
    }
    collector.offer(cur, score);
    cur = next;
  }
  return scored;
}
