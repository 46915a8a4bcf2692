/**
 * Whether the server is writing now, for the search pool's priority rule (search-pool.ts): while
 * a write request (upsert, delete, setMetadata, flush, sync) runs, or ran within the last
 * `holdMs`, searches are held to one thread fewer than the pool has, so that the main thread,
 * which parses the write, applies it to the memtable, appends it to the WAL and builds flushed
 * segments, keeps a core instead of competing with a search on every core.
 *
 * The hold covers the gap between a writer's acknowledgement and its next request (a client
 * writing back to back sends the next one within a round trip), so the rule does not flap
 * between two writes of one stream.
 */
export class WriteActivity {
  private running = 0;
  private lastEnd = -Infinity;

  constructor(private readonly holdMs = 20) {}

  begin(): void {
    this.running++;
  }

  end(): void {
    if (this.running > 0) this.running--;
    this.lastEnd = performance.now();
  }

  /** True while a write runs or ran within holdMs. */
  get active(): boolean {
    return this.running > 0 || performance.now() - this.lastEnd < this.holdMs;
  }

  /** Write requests running now (for stats and tests). */
  get inFlight(): number {
    return this.running;
  }
}
