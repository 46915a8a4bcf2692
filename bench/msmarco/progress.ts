/**
 * A one-line progress bar on stderr, redrawn at most ten times a second, when stderr is a
 * terminal; silent otherwise (logs and tests stay clean).
 */
export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private readonly started = performance.now();
  private readonly enabled: boolean;

  constructor(private readonly label: string, private readonly total: number, enabled = process.stderr.isTTY === true) {
    this.enabled = enabled && total > 0;
  }

  advance(n = 1): void {
    this.done += n;
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const width = 30;
    const fraction = Math.min(1, this.done / this.total);
    const filled = Math.round(fraction * width);
    const rate = this.done / Math.max(1e-9, (now - this.started) / 1000);
    process.stderr.write(
      `\r${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.done}/${this.total} ${rate.toFixed(0)}/s `,
    );
  }

  finish(): void {
    if (this.enabled) process.stderr.write("\n");
  }
}
