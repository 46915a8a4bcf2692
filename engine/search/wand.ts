import type { ScoredCursor, SearchContext } from "./algorithm.js";
import { END } from "./posting-cursor.js";

/**
 * WAND (Broder et al.): cursors kept sorted by current doc id; the pivot is the first cursor at
 * which the sum of the largest contributions reaches the threshold. Documents before the pivot
 * doc cannot enter the top-k and are skipped; the pivot doc is scored once every cursor before
 * it has reached it.
 */
export function wand(ctx: SearchContext<ScoredCursor>): number {
  const { collector } = ctx;
  const cursors = ctx.cursors();
  sortByDoc(cursors);
  const n = cursors.length;
  let scored = 0;
  for (;;) {
    const pivot = findPivot(cursors, collector.threshold);
    if (pivot < 0) break;
    const pivotDoc = cursors[pivot]!.doc;
    if (cursors[0]!.doc === pivotDoc) {
      // Every cursor up to the pivot sits on pivotDoc: score it with all cursors there.
      let score = 0;
      let i = 0;
      for (; i < n && cursors[i]!.doc === pivotDoc; i++) {
        score += cursors[i]!.score();
        scored++;
      }
      collector.offer(pivotDoc, score);
      for (let j = 0; j < i; j++) cursors[j]!.next();
      sortByDoc(cursors);
    } else {
      // Move the last cursor before the pivot that is not yet on the pivot doc.
      let j = pivot;
      while (cursors[j]!.doc === pivotDoc) j--;
      cursors[j]!.nextGEQ(pivotDoc);
      bubbleDown(cursors, j);
    }
  }
  return scored;
}

/**
 * The first cursor (in doc order) at which the largest contributions of it and every cursor
 * before it reach the threshold; -1 when none does.
 */
export function findPivot(cursors: ScoredCursor[], threshold: number): number {
  let acc = 0;
  for (let i = 0; i < cursors.length; i++) {
    const c = cursors[i]!;
    if (c.doc === END) return -1;
    acc += c.maxScore;
    if (acc >= threshold) return i;
  }
  return -1;
}

export function sortByDoc(cursors: ScoredCursor[]): void {
  // Insertion sort: cursors are nearly sorted after each step.
  for (let i = 1; i < cursors.length; i++) {
    const c = cursors[i]!;
    let j = i - 1;
    while (j >= 0 && cursors[j]!.doc > c.doc) {
      cursors[j + 1] = cursors[j]!;
      j--;
    }
    cursors[j + 1] = c;
  }
}

/** Restores doc order after cursor i moved forward. */
export function bubbleDown(cursors: ScoredCursor[], i: number): void {
  const c = cursors[i]!;
  while (i + 1 < cursors.length && cursors[i + 1]!.doc < c.doc) {
    cursors[i] = cursors[i + 1]!;
    i++;
  }
  cursors[i] = c;
}
