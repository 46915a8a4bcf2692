import type { SegmentIndex } from "../index/segment-index.js";

const PAGE = 65536;
/** One wasm32 memory: 4 GiB on Node 20. */
export const MAX_KERNEL_BYTES = 65536 * PAGE;
/** Bytes below every placement (the kernel keeps no data of its own in memory). */
const BASE = 1024;

/**
 * A search kernel's WebAssembly memory, with a bump allocator. Shared (its buffer is a
 * SharedArrayBuffer): checksum threads verify a segment read into it in parallel, and growing it
 * keeps every view made before valid, so a segment file can be read in first and the kernel's
 * scratch added after it once the file says how much is needed.
 */
export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  private readonly first: ArrayBufferLike;
  private top = BASE;

  constructor(bytes: number) {
    this.memory = new WebAssembly.Memory({ initial: Math.ceil((BASE + bytes) / PAGE), maximum: MAX_KERNEL_BYTES / PAGE, shared: true });
    this.first = this.memory.buffer;
  }

  /** Reserves `byteLength` bytes (16-byte aligned) and returns their offset; grows the memory as needed. */
  reserve(byteLength: number): number {
    const offset = this.top;
    this.top += Math.ceil(byteLength / 16) * 16;
    const need = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    return offset;
  }

  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }

  /** Whether a view's bytes lie in this memory. */
  holds(view: ArrayBufferView): boolean {
    return view.buffer === this.first || view.buffer === this.memory.buffer;
  }
}

const placed = new WeakMap<SegmentIndex, KernelMemory>();

/**
 * Reading a segment file straight into a kernel memory: pass `into` to readSegmentFile, then
 * `attach` the index made from its sections, and the index's kernel adopts the memory (no copy)
 * when it first searches.
 */
export function kernelFilePlacement(): { into: (size: number) => Uint8Array; attach: (index: SegmentIndex) => void } {
  let mem: KernelMemory | undefined;
  return {
    into: (size) => {
      if (size + BASE > MAX_KERNEL_BYTES) return new Uint8Array(new SharedArrayBuffer(size)); // too large for one kernel
      mem = new KernelMemory(size);
      return new Uint8Array(mem.buffer, mem.reserve(size), size);
    },
    attach: (index) => {
      if (mem !== undefined) placed.set(index, mem);
    },
  };
}

/** The memory a segment's file was read into, if any (taken: a kernel adopts it once). */
export function takePlacedMemory(index: SegmentIndex): KernelMemory | undefined {
  const m = placed.get(index);
  placed.delete(index);
  return m;
}
