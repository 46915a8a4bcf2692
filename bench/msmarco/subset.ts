import { SparseDbError } from "../../engine/errors.js";
import { Sfc32 } from "../synthetic/prng.js";

/**
 * The document subset of a benchmark: every judged document of the chosen queries, filled up to
 * `size` with a seeded uniform sample of the other documents (reservoir sampling, one pass over
 * a stream of any length). This is the usual way to make MRR on a subset meaningful: each query's
 * relevant passages are present, the rest are random distractors. Scores on a subset are higher
 * than on the full collection and must not be compared with full-collection scores.
 */
export interface Subset<T> {
  /** The chosen documents, in the order the stream gave them. */
  docs: T[];
  /** Documents the stream held. */
  seen: number;
  /** Judged documents the stream did not hold. */
  missingJudged: string[];
  /** Judged documents kept. */
  judgedKept: number;
}

/**
 * Picks the subset from `stream`. Without `size` every document is kept. The pick depends only on
 * the stream's order, the judged set, `size` and `seed`. When judged documents alone exceed
 * `size` they are all kept (the subset is then larger than asked) and no others.
 */
export async function selectSubset<T>(
  stream: AsyncIterable<T> | Iterable<T>,
  idOf: (doc: T) => string,
  judged: ReadonlySet<string>,
  size: number | undefined,
  seed: number,
): Promise<Subset<T>> {
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
    throw new SparseDbError("INVALID_ARGUMENT", `the subset size must be a positive integer, got ${String(size)}`);
  }
  const capacity = size === undefined ? Infinity : Math.max(0, size - judged.size);
  const random = new Sfc32(seed, 0x5eed);
  const kept: { position: number; doc: T }[] = [];
  const reservoir: { position: number; doc: T }[] = [];
  const keptJudged = new Set<string>();
  let seen = 0;
  let others = 0;
  for await (const doc of stream) {
    const position = seen++;
    const id = idOf(doc);
    if (judged.has(id)) {
      if (keptJudged.has(id)) throw new SparseDbError("INVALID_ARGUMENT", `document ${id} appears twice in the collection; ids must be unique`);
      keptJudged.add(id);
      kept.push({ position, doc });
      continue;
    }
    // Algorithm R: the i-th other document replaces a random slot with probability capacity / (i + 1).
    if (others < capacity) reservoir.push({ position, doc });
    else {
      const slot = Math.floor(random.nextFloat() * (others + 1));
      if (slot < capacity) reservoir[slot] = { position, doc };
    }
    others++;
  }
  const docs = [...kept, ...reservoir].sort((a, b) => a.position - b.position).map((e) => e.doc);
  const missingJudged = [...judged].filter((id) => !keptJudged.has(id));
  return { docs, seen, missingJudged, judgedKept: keptJudged.size };
}
