import { describe, expect, it } from "vitest";
import { WriteActivity } from "../../engine/server/write-activity.js";

describe("WriteActivity (the search pool's priority rule)", () => {
  it("is active while a write runs and for holdMs after the last one ends", async () => {
    const w = new WriteActivity(30);
    expect(w.active).toBe(false);
    w.begin();
    w.begin();
    expect(w.active).toBe(true);
    w.end();
    expect(w.inFlight).toBe(1);
    expect(w.active).toBe(true);
    w.end();
    expect(w.inFlight).toBe(0);
    expect(w.active).toBe(true); // within the hold
    const ended = performance.now();
    while (performance.now() - ended < 40) await new Promise((r) => setTimeout(r, 5));
    expect(w.active).toBe(false);
    w.end(); // an unmatched end never goes below zero
    expect(w.inFlight).toBe(0);
  });
});
