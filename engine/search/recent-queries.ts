import { SparseVector } from "../sparse-vector.js";

/**
 * The latest approximate-mode queries a collection has served (a ring of `capacity`), the real
 * sample queries approximate-calibration.ts calibrates from once it is full. Each is a copy, so
 * callers may reuse their arrays. Memory: about 8 bytes per query term (~72 KiB for 200 SPLADE
 * queries of ~45 terms).
 */
export class RecentQueries {
  private readonly ring: SparseVector[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.ring.length;
  }

  add(query: SparseVector): void {
    if (query.nnz === 0) return;
    const copy = SparseVector.fromArrays(Array.from(query.terms), Array.from(query.weights), { role: "query" });
    if (this.ring.length < this.capacity) this.ring.push(copy);
    else this.ring[this.next] = copy;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The queries held, oldest first. */
  queries(): SparseVector[] {
    return this.ring.length < this.capacity ? this.ring.slice() : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
