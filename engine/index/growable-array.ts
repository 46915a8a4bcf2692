/** An append-only typed array that doubles its capacity as it grows (build-time scratch). */
type TypedArrayCtor<T> = { new (length: number): T };

export class GrowableArray<T extends Uint16Array | Uint32Array | Float32Array> {
  private buf: T;
  length = 0;
  private readonly ctor: TypedArrayCtor<T>;

  constructor(ctor: TypedArrayCtor<T>, initialCapacity = 1024) {
    this.ctor = ctor;
    this.buf = new ctor(Math.max(16, initialCapacity));
  }

  /**
   * Makes room for `extra` more elements; returns the backing array (valid until the next grow).
   * `exact`: grow to just that room (when no more will come), not to the next doubling.
   */
  reserve(extra: number, exact = false): T {
    const need = this.length + extra;
    if (need > this.buf.length) {
      let cap = exact ? need : this.buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new this.ctor(cap);
      next.set(this.buf.subarray(0, this.length) as never);
      this.buf = next;
    }
    return this.buf;
  }

  push(v: number): void {
    this.reserve(1)[this.length++] = v;
  }

  /** A right-sized copy of the contents. */
  toArray(): T {
    return this.buf.slice(0, this.length) as T;
  }

  /**
   * The contents for a last use: the backing array itself when they fill it (no copy of what
   * may be tens of MiB; nothing may be added afterwards), else a right-sized copy.
   */
  take(): T {
    return this.length === this.buf.length ? this.buf : this.toArray();
  }
}
