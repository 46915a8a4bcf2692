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
 *
 * Two lanes: writes (a party whose next request is an upsert, delete, flush or sync) go ahead
 * of reads, but while both lanes have parties waiting they alternate, so a writer among many
 * searching connections waits for about one request rather than for every searcher's (writes
 * keep their throughput under read load), while a flood of writes still leaves reads half of
 * the requests.
 */
export type Lane = "read" | "write";

export interface Schedulable {
  /**
   * Starts this party's next ready request, if any; returns false when it has no other ready,
   * else the lane its next request belongs in ("read" when it cannot tell yet).
   */
  step(): false | Lane;
}

export interface RunQueueOptions {
  /** The work one turn aims at, in ms. */
  turnMs: number;
  /** Most requests one turn starts, however cheap they are. */
  maxPerTurn: number;
}

export const DEFAULT_RUN_QUEUE: RunQueueOptions = { turnMs: 4, maxPerTurn: 64 };

/** A FIFO of parties (an array and a head index, compacted now and then). */
class Ring {
  private items: Schedulable[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(s: Schedulable): void {
    this.items.push(s);
  }

  shift(): Schedulable | undefined {
    if (this.head >= this.items.length) return undefined;
    const s = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Schedulable;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return s;
  }
}

export class RunQueue {
  private readonly reads = new Ring();
  private readonly writes = new Ring();
  private readonly queued = new Set<Schedulable>();
  private scheduled = false;
  private perTurn = 1;
  /** Start time and steps of the previous turn, when the next turn was scheduled by it. */
  private previousStart = 0;
  private previousSteps = 0;
  private chained = false;
  private inTurn = false;
  /** Requests started from each lane since both lanes last had parties waiting. */
  private writeRun = 0;
  private readRun = 0;
  /** @internal counters for stats and tests */
  turns = 0;
  steps = 0;

  constructor(private readonly options: RunQueueOptions = DEFAULT_RUN_QUEUE) {}

  /** Queues `s` at the tail of `lane` unless it is queued already. */
  enqueue(s: Schedulable, lane: Lane = "read"): void {
    if (this.queued.has(s)) return;
    this.queued.add(s);
    (lane === "write" ? this.writes : this.reads).push(s);
    if (!this.inTurn) this.schedule(false);
  }

  has(s: Schedulable): boolean {
    return this.queued.has(s);
  }

  get length(): number {
    return this.reads.length + this.writes.length;
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
    this.inTurn = true;
    let steps = 0;
    while (steps < this.perTurn) {
      if (this.writes.length === 0 || this.reads.length === 0) this.writeRun = this.readRun = 0;
      const fromWrites = this.writes.length > 0 && (this.reads.length === 0 || this.writeRun <= this.readRun);
      const s = fromWrites ? this.writes.shift() : this.reads.shift();
      if (s === undefined) break;
      if (fromWrites) this.writeRun++;
      else this.readRun++;
      this.queued.delete(s);
      let more: false | Lane = false;
      try {
        more = s.step();
      } catch {
        more = false; // a connection's step handles its own failures; never stop the queue
      }
      steps++;
      if (more !== false) this.enqueue(s, more);
      // Synchronous work (decoding a large frame) counts against the turn too.
      if (performance.now() - start > this.options.turnMs) break;
    }
    this.inTurn = false;
    this.steps += steps;
    this.previousStart = start;
    this.previousSteps = steps;
    if (this.length > 0) this.schedule(true);
  }
}
