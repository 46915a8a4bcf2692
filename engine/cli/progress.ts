/**
 * Ingest progress: a redrawn bar with rate and ETA on a terminal, plain lines (at most one every
 * few seconds) otherwise, so that logs stay readable.
 */
export class Progress {
  private readonly started = Date.now();
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean },
    private readonly label: string,
    private readonly totalBytes: number | undefined,
    private readonly plainEveryMs = 5000,
  ) {}

  update(docs: number, bytes: number, force = false): void {
    const now = Date.now();
    const tty = this.out.isTTY === true;
    if (!force && now - this.lastLine < (tty ? 100 : this.plainEveryMs)) return;
    this.lastLine = now;
    const seconds = Math.max((now - this.started) / 1000, 1e-3);
    const rate = docs / seconds;
    const fraction = this.totalBytes ? Math.min(bytes / this.totalBytes, 1) : undefined;
    const eta = fraction !== undefined && fraction > 0 ? (seconds * (1 - fraction)) / fraction : undefined;
    const pct = fraction === undefined ? "" : ` ${(fraction * 100).toFixed(1).padStart(5)}%`;
    const etaText = eta === undefined ? "" : ` ETA ${formatDuration(eta)}`;
    if (tty) {
      const width = 30;
      const filled = fraction === undefined ? 0 : Math.round(fraction * width);
      const bar = fraction === undefined ? "" : `[${"=".repeat(filled)}${filled < width ? ">" : ""}${" ".repeat(Math.max(width - filled - 1, 0))}]`;
      this.out.write(`\r${this.label} ${bar}${pct} ${docs.toLocaleString("en-US")} docs ${Math.round(rate).toLocaleString("en-US")} docs/s${etaText}   `);
      this.drawn = true;
    } else {
      this.out.write(`${this.label}: ${docs} docs${pct}, ${Math.round(rate)} docs/s${etaText}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  done(docs: number, bytes: number): void {
    this.update(docs, bytes, true);
    if (this.drawn) this.out.write("\n");
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}
