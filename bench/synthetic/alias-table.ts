import { SparseDbError } from "../../engine/errors.js";

/**
 * Walker's alias method (Vose's construction): after O(n) set-up, draws an index i with
 * probability weights[i] / sum(weights) from one uniform uint32 in O(1). The high bits of the
 * draw pick a column, the remaining fraction decides between the column and its alias.
 */
export class AliasTable {
  readonly size: number;
  /**
   * Per column c: at 2c the probability of keeping c itself, at 2c + 1 its alias. Interleaved so
   * that a draw touches one cache line (the table of BERT's vocabulary is ~490 KB).
   */
  private readonly columns: Float64Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new SparseDbError("INVALID_ARGUMENT", "an alias table needs at least one weight");
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (!(Number.isFinite(w) && w >= 0)) {
        throw new SparseDbError("INVALID_ARGUMENT", `alias table weight ${i} is ${w}; weights must be finite and >= 0`);
      }
      sum += w;
    }
    if (!(sum > 0)) throw new SparseDbError("INVALID_ARGUMENT", "alias table weights sum to zero; give some positive weight");
    this.size = n;
    const keep = new Float64Array(n);
    const alias = new Uint32Array(n);
    const scaled = new Float64Array(n);
    const small = new Uint32Array(n);
    const large = new Uint32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i]! * n) / sum;
      if (scaled[i]! < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns]!;
      const l = large[nl - 1]!;
      keep[s] = scaled[s]!;
      alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      if (scaled[l]! < 1) {
        nl--;
        small[ns++] = l;
      }
    }
    // What is left is 1 up to rounding error.
    while (nl > 0) keep[large[--nl]!] = 1;
    while (ns > 0) keep[small[--ns]!] = 1;
    for (let i = 0; i < n; i++) if (keep[i] === 1) alias[i] = i;
    this.columns = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      this.columns[2 * i] = keep[i]!;
      this.columns[2 * i + 1] = alias[i]!;
    }
  }

  /** The index drawn by the uniform 32-bit integer `r`. */
  sample(r: number): number {
    const x = (r / 4294967296) * this.size;
    const column = x | 0;
    const columns = this.columns;
    return x - column < columns[2 * column]! ? column : columns[2 * column + 1]!;
  }
}
