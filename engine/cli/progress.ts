/**
 * Progress of a long command (ingest, search --queries): on a terminal a bar with rate and ETA,
 * redrawn from the first item on; off a terminal (a log, a pipe) nothing while it runs and one
 * final line at the end, so that logs stay readable.
 */
export class Progress {
  private readonly started = Date.now();
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean },
    private readonly label: string,
    private readonly totalBytes: number | undefined,
    /** What is counted: "docs", "lines", "queries". */
    private readonly unit = "docs",
  ) {}

  /**
   * On a terminal, redraws the bar (at most every 100 ms); `note` is appended (e.g. "1,000
   * durable"); a function is called only when the bar is drawn (it is called per document).
   */
  update(count: number, bytes: number, note: string | (() => string) = ""): void {
    if (this.out.isTTY !== true) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw(count, bytes, typeof note === "string" ? note : note());
  }

  /**
   * The end: the bar's last state and a newline on a terminal, the one summary line otherwise
   * (unless `summaryLine` is false: a phase whose end the next message reports).
   */
  done(count: number, bytes: number, note = "", summaryLine = true): void {
    if (this.out.isTTY === true) {
      this.draw(count, bytes, note);
      if (this.drawn) this.out.write("\n");
      return;
    }
    if (!summaryLine) return;
    const seconds = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const fraction = this.fraction(bytes);
    const pct = fraction === undefined ? "" : ` ${(fraction * 100).toFixed(1)}%`;
    this.out.write(`${this.label}: ${count} ${this.unit}${pct} in ${formatDuration(seconds)}, ${Math.round(count / seconds)} ${this.unit}/s${note ? `, ${note}` : ""}\n`);
  }

  private fraction(bytes: number): number | undefined {
    return this.totalBytes ? Math.min(bytes / this.totalBytes, 1) : undefined;
  }

  private draw(count: number, bytes: number, note: string): void {
    const seconds = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const rate = count / seconds;
    const fraction = this.fraction(bytes);
    const eta = fraction !== undefined && fraction > 0 ? (seconds * (1 - fraction)) / fraction : undefined;
    const pct = fraction === undefined ? "" : ` ${(fraction * 100).toFixed(1).padStart(5)}%`;
    const etaText = eta === undefined ? "" : ` ETA ${formatDuration(eta)}`;
    const width = 30;
    const filled = fraction === undefined ? 0 : Math.round(fraction * width);
    const bar = fraction === undefined ? "" : `[${"=".repeat(filled)}${filled < width ? ">" : ""}${" ".repeat(Math.max(width - filled - 1, 0))}]`;
    const u = this.unit;
    this.out.write(`\r${this.label} ${bar}${pct} ${count.toLocaleString("en-US")} ${u} ${Math.round(rate).toLocaleString("en-US")} ${u}/s${etaText}${note ? ` ${note}` : ""}   `);
    this.drawn = true;
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}
