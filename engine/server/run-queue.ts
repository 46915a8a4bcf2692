/**
 * The server's fair scheduler: a round-robin queue of connections that have requests ready.
 * One turn (a setImmediate callback) starts at most a bounded number of requests, one per
 * connection in turn, then yields, so that Node's poll phase (accepting connections, reading
 * sockets, a flush's file I/O and worker messages) runs between turns however many requests are
 * pipelined. A connection with more ready requests goes back to the tail.
 *
 * The work a request does mostly runs in the microtasks after the turn's callback (the
 * operations are async functions), where the callback cannot time it. So the bound is a count,
 * adapted from what the previous turn cost: when a turn followed the one before it directly,
 * (start of this turn - start of that one) / requests it started is the cost of a request
 * (plus whatever else that loop iteration ran, which only makes the estimate cautious), and the
 * next turn starts about `turnMs` worth of them.
 */
export interface Schedulable {
  /** Starts this party's next ready request, if any; returns whether it may have another ready. */
  step(): boolean;
}

export interface RunQueueOptions {
  /** The work one turn aims at, in ms. */
  turnMs: number;
  /** Most requests one turn starts, however cheap they are. */
  maxPerTurn: number;
}

export const DEFAULT_RUN_QUEUE: RunQueueOptions = { turnMs: 4, maxPerTurn: 64 };

export class RunQueue {
  private ring: Schedulable[] = [];
  private head = 0;
  private readonly queued = new Set<Schedulable>();
  private scheduled = false;
  private perTurn = 1;
  /** Start time and steps of the previous turn, when the next turn was scheduled by it. */
  private previousStart = 0;
  private previousSteps = 0;
  private chained = false;
  /** @internal counters for stats and tests */
  turns = 0;
  steps = 0;

  constructor(private readonly options: RunQueueOptions = DEFAULT_RUN_QUEUE) {}

  /** Queues `s` at the tail unless it is queued already. */
  enqueue(s: Schedulable): void {
    if (this.queued.has(s)) return;
    this.queued.add(s);
    this.ring.push(s);
    this.schedule(false);
  }

  has(s: Schedulable): boolean {
    return this.queued.has(s);
  }

  get length(): number {
    return this.ring.length - this.head;
  }

  /** Requests the next turn will start at most (for stats). */
  get requestsPerTurn(): number {
    return this.perTurn;
  }

  private schedule(chained: boolean): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.chained = chained;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const start = performance.now();
    if (this.chained && this.previousSteps > 0) {
      const perStep = Math.max((start - this.previousStart) / this.previousSteps, 1e-3);
      this.perTurn = Math.max(1, Math.min(this.options.maxPerTurn, Math.floor(this.options.turnMs / perStep)));
    }
    this.turns++;
    let steps = 0;
    while (this.head < this.ring.length && steps < this.perTurn) {
      const s = this.ring[this.head]!;
      this.ring[this.head++] = undefined as unknown as Schedulable;
      this.queued.delete(s);
      let more = false;
      try {
        more = s.step();
      } catch {
        more = false; // a connection's step handles its own failures; never stop the queue
      }
      steps++;
      if (more && !this.queued.has(s)) {
        this.queued.add(s);
        this.ring.push(s);
      }
      // Synchronous work (decoding a large frame) counts against the turn too.
      if (performance.now() - start > this.options.turnMs) break;
    }
    this.steps += steps;
    if (this.head > 1024 && this.head * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.head);
      this.head = 0;
    }
    this.previousStart = start;
    this.previousSteps = steps;
    if (this.head < this.ring.length) this.schedule(true);
    else {
      this.ring = [];
      this.head = 0;
    }
  }
}
