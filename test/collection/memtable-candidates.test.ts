import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Memtable } from "../../engine/collection/memtable.js";
import { Snapshot } from "../../engine/collection/snapshot.js";
import { memtableCandidates, type SnapshotSearchOptions } from "../../engine/collection/snapshot-search.js";
import { SparseVector } from "../../engine/sparse-vector.js";

/**
 * memtableCandidates scores against one dense query array kept between searches (no
 * vocabulary-sized allocation per search): each search must see only its own query's weights,
 * whatever searches ran before it, a search whose filter threw included, and whatever the
 * collections' vocabulary sizes.
 */

const VOCAB = 12;

function memtableOf(docs: { terms: number[]; weights: number[] }[]): Memtable {
  const m = new Memtable();
  docs.forEach((d, i) => m.put({ id: `d${i}`, terms: Uint32Array.from(d.terms), weights: Float32Array.from(d.weights), meta: null, length: 0 }));
  return m;
}

function options(vocabSize: number, accept?: (meta: unknown) => boolean): SnapshotSearchOptions {
  return { k: 100, exact: true, explain: false, vocabSize, accept };
}

/** The exact scores by brute force: the dot product over the query's terms below the vocabulary size. */
function expected(m: Memtable, q: SparseVector, vocabSize: number): { id: string; score: number }[] {
  const out: { id: string; score: number }[] = [];
  for (const d of m.values()) {
    let s = 0, touched = false;
    for (let i = 0; i < d.terms.length; i++) {
      const j = Array.prototype.indexOf.call(q.terms, d.terms[i]);
      if (j >= 0 && d.terms[i]! < vocabSize) {
        s += q.weights[j]! * d.weights[i]!;
        touched = true;
      }
    }
    if (touched) out.push({ id: d.id, score: s });
  }
  return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Terms and weights in quarters (exact in float32); queries may weigh a term negatively, documents not. */
const vectorArb = (minWeight: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: VOCAB - 1 }), { minLength: 1, maxLength: 5 })
    .chain((terms) => fc.array(fc.integer({ min: minWeight, max: 12 }).filter((w) => w !== 0).map((w) => w / 4), { minLength: terms.length, maxLength: terms.length }).map((weights) => ({ terms: terms.sort((a, b) => a - b), weights })));

describe("memtableCandidates", () => {
  it("gives each search of a sequence exactly its own query's scores (sizes of vocabulary vary, a filter may throw)", () => {
    fc.assert(
      fc.property(
        fc.array(vectorArb(1), { minLength: 1, maxLength: 10 }),
        fc.array(fc.record({ q: vectorArb(-8), vocab: fc.integer({ min: 1, max: VOCAB }), throws: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        (docs, searches) => {
          const m = memtableOf(docs);
          const snap = new Snapshot([m], [], () => {});
          for (const s of searches) {
            const q = SparseVector.fromArrays(s.q.terms, s.q.weights, { role: "query" });
            if (s.throws) {
              const boom = () => {
                throw new Error("filter failed");
              };
              // The filter runs only on documents the query touches.
              if (expected(m, q, s.vocab).length > 0) expect(() => memtableCandidates(snap, q, options(s.vocab, boom))).toThrow("filter failed");
              continue;
            }
            const got = memtableCandidates(snap, q, options(s.vocab)).map((c) => ({ id: c.id, score: c.score }));
            expect(got).toEqual(expected(m, q, s.vocab));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("returns nothing for empty memtables", () => {
    const snap = new Snapshot([new Memtable()], [], () => {});
    expect(memtableCandidates(snap, SparseVector.fromArrays([1], [1]), options(VOCAB))).toEqual([]);
  });
});
