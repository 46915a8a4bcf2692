import { describe, expect, it } from "vitest";
import { RunQueue, type Lane, type Schedulable } from "../../engine/server/run-queue.js";

/** A party with `n` requests ready, all in `lane`; every step logs its name. */
function party(name: string, n: number, log: string[], lane: Lane = "read"): Schedulable {
  let left = n;
  return {
    step() {
      if (left === 0) return false;
      left--;
      log.push(name);
      return left > 0 ? lane : false;
    },
  };
}

const untilEmpty = async (q: RunQueue) => {
  for (let i = 0; i < 100_000 && q.length > 0; i++) await new Promise((r) => setImmediate(r));
};

describe("RunQueue", () => {
  it("serves ready parties round-robin, one request each in turn", async () => {
    const log: string[] = [];
    const q = new RunQueue({ turnMs: 1000, maxPerTurn: 1000 });
    q.enqueue(party("a", 5, log));
    q.enqueue(party("b", 2, log));
    q.enqueue(party("c", 3, log));
    await untilEmpty(q);
    expect(log.join("")).toBe("abcabcacaa");
  });

  it("a party queued later is served after at most one request of each party ahead of it", async () => {
    const log: string[] = [];
    const q = new RunQueue({ turnMs: 1000, maxPerTurn: 1000 });
    const parties = Array.from({ length: 10 }, (_, i) => party(String(i), 1000, log));
    for (const p of parties) q.enqueue(p);
    // Let a few turns pass, then a newcomer arrives.
    await new Promise((r) => setImmediate(r));
    const before = log.length;
    q.enqueue(party("n", 1, log));
    await untilEmpty(q);
    const at = log.indexOf("n");
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at - before).toBeLessThanOrEqual(10);
    expect(log.length).toBe(10 * 1000 + 1);
  });

  it("yields to the event loop between turns: no turn starts more than maxPerTurn requests", async () => {
    const log: string[] = [];
    const q = new RunQueue({ turnMs: 1000, maxPerTurn: 16 });
    q.enqueue(party("a", 5000, log));
    // A callback queued behind the first turn runs after at most one turn's requests.
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      const tick = () => {
        seen.push(log.length);
        if (q.length > 0 && seen.length < 10_000) setImmediate(tick);
        else resolve();
      };
      setImmediate(tick);
    });
    await untilEmpty(q);
    expect(log.length).toBe(5000);
    for (let i = 1; i < seen.length; i++) expect(seen[i]! - seen[i - 1]!).toBeLessThanOrEqual(16);
    expect(q.turns).toBeGreaterThanOrEqual(5000 / 16);
  });

  it("serves the write lane first, alternating with reads while both wait", async () => {
    const log: string[] = [];
    const q = new RunQueue({ turnMs: 1000, maxPerTurn: 8 });
    for (let i = 0; i < 8; i++) q.enqueue(party(`r${i}`, 100, log));
    q.enqueue(party("w", 100, log, "write"), "write");
    await untilEmpty(q);
    expect(log.length).toBe(900);
    // While readers wait, at most every other request is the writer's, and at least every
    // other: not once per round of all nine parties.
    const firstRun = log.slice(0, log.lastIndexOf("w") + 1);
    const writes = firstRun.filter((x) => x === "w").length;
    expect(writes).toBe(100);
    expect(writes).toBeLessThanOrEqual(firstRun.length / 2 + 1);
    let gap = 0, maxGap = 0;
    for (const x of firstRun.slice(log.indexOf("w"))) {
      gap = x === "w" ? 0 : gap + 1;
      maxGap = Math.max(maxGap, gap);
    }
    expect(maxGap).toBeLessThanOrEqual(1);
  });

  it("keeps serving when a party's step throws", async () => {
    const log: string[] = [];
    const q = new RunQueue();
    q.enqueue({ step: () => { throw new Error("boom"); } });
    q.enqueue(party("b", 3, log));
    await untilEmpty(q);
    expect(log).toEqual(["b", "b", "b"]);
  });
});
