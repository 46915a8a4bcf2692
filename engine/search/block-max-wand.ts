import type { BlockMaxCursor, SearchContext } from "./algorithm.js";
import { END } from "./posting-cursor.js";
import { bubbleDown, findPivot, sortByDoc } from "./wand.js";

/**
 * Block-Max WAND (Ding & Suel): WAND's pivot, then a second, tighter test with the block-max
 * bounds of the blocks that would hold the pivot doc. When the blocks cannot reach the
 * threshold, every doc up to the end of the shortest of those blocks (and before the next
 * cursor's doc) is skipped at once.
 */
export function blockMaxWand(ctx: SearchContext<BlockMaxCursor>): number {
  const { collector } = ctx;
  const cursors = ctx.cursors();
  sortByDoc(cursors);
  const n = cursors.length;
  let scored = 0;
  for (;;) {
    const threshold = collector.threshold;
    let pivot = findPivot(cursors, threshold);
    if (pivot < 0) break;
    const pivotDoc = cursors[pivot]!.doc;
    while (pivot + 1 < n && cursors[pivot + 1]!.doc === pivotDoc) pivot++;

    let blockBound = 0;
    for (let i = 0; i <= pivot; i++) blockBound += cursors[i]!.blockMaxScoreGEQ(pivotDoc);

    if (blockBound >= threshold) {
      if (cursors[0]!.doc === pivotDoc) {
        let score = 0;
        for (let i = 0; i <= pivot; i++) {
          score += cursors[i]!.score();
          scored++;
        }
        collector.offer(pivotDoc, score);
        for (let i = 0; i <= pivot; i++) cursors[i]!.next();
        sortByDoc(cursors);
      } else {
        let j = pivot;
        while (cursors[j]!.doc === pivotDoc) j--;
        cursors[j]!.nextGEQ(pivotDoc);
        bubbleDown(cursors, j);
      }
    } else {
      // No doc in [pivotDoc, nextDoc) can reach the threshold.
      let nextDoc = END;
      for (let i = 0; i <= pivot; i++) {
        const last = cursors[i]!.shallowBlockLastDoc();
        if (last < nextDoc) nextDoc = last;
      }
      nextDoc = nextDoc === END ? END : nextDoc + 1;
      if (pivot + 1 < n && cursors[pivot + 1]!.doc < nextDoc) nextDoc = cursors[pivot + 1]!.doc;
      if (nextDoc <= pivotDoc) nextDoc = pivotDoc + 1;
      // Advance the cursor with the largest bound among those before the pivot.
      let best = 0;
      for (let i = 1; i <= pivot; i++) if (cursors[i]!.maxScore > cursors[best]!.maxScore) best = i;
      cursors[best]!.nextGEQ(nextDoc);
      bubbleDown(cursors, best);
    }
  }
  return scored;
}
