import type { ScoredCursor, SearchContext } from "./algorithm.js";
import { END } from "./posting-cursor.js";

/**
 * MaxScore (Turtle & Flood), document-at-a-time as in PISA. Cursors are sorted by their
 * largest contribution; the lowest ones whose contributions sum below the threshold are
 * "non-essential": a document that appears only in them cannot enter the top-k, so candidates
 * come from the essential lists alone and non-essential lists are only probed (nextGEQ) while
 * the candidate's partial score plus their remaining bound can still reach the threshold.
 */
export function maxScore(ctx: SearchContext<ScoredCursor>): number {
  const { collector } = ctx;
  const cursors = ctx.cursors().sort((a, b) => a.maxScore - b.maxScore);
  const n = cursors.length;
  // upper[i] = sum of maxScore of cursors 0..i.
  const upper = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) upper[i] = sum += cursors[i]!.maxScore;

  let scored = 0;
  let firstEssential = 0;
  let threshold = collector.threshold;
  while (firstEssential < n && upper[firstEssential]! < threshold) firstEssential++;
  let cur = END;
  for (let i = firstEssential; i < n; i++) if (cursors[i]!.doc < cur) cur = cursors[i]!.doc;

  while (firstEssential < n && cur < END) {
    let score = 0;
    let next = END;
    for (let i = firstEssential; i < n; i++) {
      const c = cursors[i]!;
      if (c.doc === cur) {
        score += c.score();
        scored++;
        c.next();
      }
      if (c.doc < next) next = c.doc;
    }
    let alive = true;
    for (let i = firstEssential - 1; i >= 0; i--) {
      if (score + upper[i]! < threshold) {
        alive = false;
        break;
      }
      const c = cursors[i]!;
      c.nextGEQ(cur);
      if (c.doc === cur) {
        score += c.score();
        scored++;
      }
    }
    if (alive) {
      collector.offer(cur, score);
      if (collector.threshold !== threshold) {
        threshold = collector.threshold;
        while (firstEssential < n && upper[firstEssential]! < threshold) firstEssential++;
      }
    }
    cur = next;
  }
  return scored;
}
