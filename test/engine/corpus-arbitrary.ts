import fc from "fast-check";
import { IndexBuilder } from "../../engine/index/index-builder.js";
import type { SegmentIndex } from "../../engine/index/segment-index.js";
import { SparseVector } from "../../engine/sparse-vector.js";

/** A random corpus small enough to brute-force, dense enough to span several posting blocks. */
export interface RandomCase {
  docs: SparseVector[];
  query: SparseVector;
  k: number;
  bits: number;
  excluded: Set<number>;
}

const VOCAB = 40;

/** Weights drawn from a few values make ties common; the rest are arbitrary floats. */
const docWeight = fc.oneof(
  fc.constantFrom(0.5, 1, 2),
  fc.float({ min: Math.fround(0.001), max: Math.fround(5), noNaN: true }),
);
const queryWeight = fc.oneof(
  fc.constantFrom(1, -1, 0.25),
  fc.float({ min: Math.fround(-3), max: Math.fround(3), noNaN: true }),
);

const sparse = (w: fc.Arbitrary<number>, maxTerms: number, role: "document" | "query") =>
  fc
    .dictionary(fc.integer({ min: 0, max: VOCAB + 9 }).map(String), w, { maxKeys: maxTerms })
    .map((m) => SparseVector.fromTermMap(m, { role, vocabSize: VOCAB + 10 }));

export const randomCase: fc.Arbitrary<RandomCase> = fc
  .record({
    docs: fc.oneof(
      fc.array(sparse(docWeight, 12, "document"), { minLength: 1, maxLength: 3 }),
      fc.array(sparse(docWeight, 12, "document"), { minLength: 50, maxLength: 400 }),
      // long posting lists of many blocks, for skipping and block-max bounds
      fc.array(sparse(docWeight, 5, "document"), { minLength: 600, maxLength: 2000 }),
      // dense lists: many blocks per term, block boundaries inside small windows
      fc.array(sparse(docWeight, 30, "document"), { minLength: 1000, maxLength: 1500 }),
      // every document identical: all scores tie
      fc.tuple(sparse(docWeight, 8, "document"), fc.integer({ min: 1, max: 300 })).map(([v, n]) => Array<SparseVector>(n).fill(v)),
    ),
    query: sparse(queryWeight, 10, "query"),
    k: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 60 })),
    bits: fc.constantFrom(8, 4, 2, 1, 16, 12),
    excludeRate: fc.constantFrom(0, 0, 0.3),
    seed: fc.integer(),
  })
  .map(({ docs, query, k, bits, excludeRate, seed }) => {
    const excluded = new Set<number>();
    let s = seed >>> 0;
    for (let d = 0; d < docs.length; d++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      if (s / 2 ** 32 < excludeRate) excluded.add(d);
    }
    return { docs, query, k, bits, excluded };
  });

export function buildIndex(docs: SparseVector[], bits: number): SegmentIndex {
  const b = new IndexBuilder({ bits, vocabSize: VOCAB + 10 });
  for (const d of docs) b.add(d);
  return b.build();
}
