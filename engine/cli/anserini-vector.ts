import { SparseDbError } from "../errors.js";
import { SparseVector } from "../sparse-vector.js";
import type { Vocabulary } from "../vocabulary.js";

/**
 * Anserini's pre-encoded vector text (`tok tok tok ...`, a token's weight its repeat count over
 * the scale) -> a SparseVector without allocating a string per token: each token is hashed from
 * the line's char codes into an open-addressing table of the vocabulary (checked in place with
 * startsWith), counts go into one reused array indexed by term id, and a run of the same token
 * (Anserini writes repeats next to each other) is matched without hashing again. The errors are
 * SparseVector.fromTokenMap's.
 */
export class AnseriniVectorParser {
  private readonly counts: Uint32Array;
  private touched: Uint32Array;

  /** slot -> term id + 1 (0: empty); a power of two at least twice the vocabulary. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly tokens: readonly string[];

  constructor(private readonly vocabulary: Vocabulary, private readonly scale: number) {
    this.counts = new Uint32Array(vocabulary.size);
    this.touched = new Uint32Array(1024);
    this.tokens = vocabulary.tokens;
    let size = 1024;
    while (size < 2 * vocabulary.size) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.tokens.length; id++) {
      const t = this.tokens[id]!;
      if (vocabulary.idOf(t) !== id) continue; // a repeated token maps to its first id
      let slot = hashChars(t, 0, t.length) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = id + 1;
    }
  }

  /** The term id of line[i..j), or -1. */
  private lookup(line: string, i: number, j: number): number {
    let slot = hashChars(line, i, j) & this.mask;
    for (;;) {
      const e = this.table[slot]!;
      if (e === 0) return -1;
      const t = this.tokens[e - 1]!;
      if (t.length === j - i && line.startsWith(t, i)) return e - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Parses line[from..] (the part after the id's tab). */
  parse(line: string, from: number): SparseVector {
    const counts = this.counts;
    let n = 0;
    let prevLength = 0, prevId = -1;
    const end = line.length;
    let i = from;
    while (i < end) {
      if (line.charCodeAt(i) === 32) {
        i++;
        continue;
      }
      let id: number;
      let j: number;
      const after = i + prevLength;
      if (prevId >= 0 && (after === end || line.charCodeAt(after) === 32) && line.startsWith(this.tokens[prevId]!, i)) {
        id = prevId;
        j = after;
      } else {
        j = line.indexOf(" ", i);
        if (j < 0) j = end;
        const found = this.lookup(line, i, j);
        if (found < 0) {
          this.reset(n);
          const tok = line.slice(i, j);
          throw new SparseDbError(
            "INVALID_VECTOR",
            `unknown token "${tok}": it is not in the vocabulary (${this.vocabulary.size} terms); use the model's tokenizer vocabulary`,
          );
        }
        id = found;
        prevLength = j - i;
        prevId = id;
      }
      if (counts[id]++ === 0) {
        if (n === this.touched.length) {
          const grown = new Uint32Array(n * 2);
          grown.set(this.touched);
          this.touched = grown;
        }
        this.touched[n++] = id;
      }
      i = j;
    }
    const terms = this.touched.slice(0, n).sort();
    const weights = new Float64Array(n);
    for (let k = 0; k < n; k++) weights[k] = counts[terms[k]!]! / this.scale;
    this.reset(n);
    return SparseVector.fromArrays(terms, weights, { vocabSize: this.vocabulary.size });
  }

  private reset(n: number): void {
    for (let k = 0; k < n; k++) this.counts[this.touched[k]!] = 0;
  }
}

/** FNV-1a over the UTF-16 code units of s[from..to). */
function hashChars(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let k = from; k < to; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
  return h >>> 0;
}
