import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SparseDbError } from "../../engine/errors.js";
import { AliasTable } from "../../bench/synthetic/alias-table.js";
import { Sfc32 } from "../../bench/synthetic/prng.js";
import { decodeShares, encodeShares } from "../../bench/synthetic/share-codec.js";

describe("Sfc32", () => {
  it("repeats a stream for the same (seed, stream) and not for another", () => {
    const draw = (seed: number, stream: number): number[] => {
      const r = new Sfc32(seed, stream);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    expect(draw(42, 0)).toEqual(draw(42, 0));
    expect(draw(42, 0)).not.toEqual(draw(43, 0));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
    expect(draw(42, 2 ** 40)).not.toEqual(draw(42, 0));
    expect(draw(2 ** 33, 0)).not.toEqual(draw(0, 0));
  });

  it("draws uniform floats in [0, 1) and standard normals", () => {
    const r = new Sfc32(7);
    const n = 50_000;
    let sum = 0;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.nextFloat();
      if (!(x >= 0 && x < 1)) expect.fail(`float ${x} outside [0, 1)`);
      sum += x;
      buckets[Math.floor(x * 10)]!++;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(0.05 * (n / 10));
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.nextNormal();
      s1 += z;
      s2 += z * z;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});

describe("AliasTable", () => {
  it("draws each index in proportion to its weight, never a zero-weight one", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 12 }), fc.integer(), (ws, seed) => {
        fc.pre(ws.some((w) => w > 0));
        const table = new AliasTable(ws);
        const r = new Sfc32(seed);
        const n = 20_000;
        const counts = new Array<number>(ws.length).fill(0);
        for (let i = 0; i < n; i++) counts[table.sample(r.nextUint32())]!++;
        const total = ws.reduce((a, b) => a + b, 0);
        ws.forEach((w, i) => {
          const p = w / total;
          if (w === 0) expect(counts[i]).toBe(0);
          else expect(Math.abs(counts[i]! / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
        });
      }),
      { numRuns: 40 },
    );
  });

  it("rejects empty, negative or all-zero weights", () => {
    expect(() => new AliasTable([])).toThrow(SparseDbError);
    expect(() => new AliasTable([1, -1])).toThrow(/finite and >= 0/);
    expect(() => new AliasTable([0, 0])).toThrow(/sum to zero/);
  });
});

describe("share codec", () => {
  it("keeps every share to within 0.05% after the round trip", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1e-8, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }), (raw) => {
        const sum = raw.reduce((a, b) => a + b, 0);
        const shares = Float64Array.from(raw, (x) => x / sum);
        const back = decodeShares(encodeShares(shares), shares.length);
        shares.forEach((s, i) => expect(Math.abs(back[i]! / s - 1)).toBeLessThan(5e-4));
      }),
    );
  });

  it("refuses a table of the wrong length", () => {
    expect(() => decodeShares(encodeShares(new Float64Array([0.5, 0.5])), 3)).toThrow(/expected 3/);
  });
});
