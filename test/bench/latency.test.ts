import { describe, expect, it } from "vitest";
import { percentile, summarizeLatency } from "../../bench/metrics/latency.js";

describe("latency summary", () => {
  it("gives the mean and nearest-rank percentiles", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100 shuffled order
    expect(summarizeLatency(samples)).toEqual({ meanMs: 50.5, p50Ms: 50, p99Ms: 99 });
    expect(summarizeLatency([7])).toEqual({ meanMs: 7, p50Ms: 7, p99Ms: 7 });
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(() => summarizeLatency([])).toThrow(/no latency samples/);
  });
});
