import type { PullProgress } from "./pull-model.js";

/**
 * A progress printer for pullModel's onProgress: one redrawn bar per file on a terminal
 * (`onnx/model.onnx [#######.......] 48% 210.3/438.0 MB 35.2 MB/s`), one line per finished file
 * otherwise (logs, CI).
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr, width = 30): (p: PullProgress) => void {
  const started = new Map<string, { t: number; bytes: number }>();
  return (p) => {
    if (!started.has(p.file)) started.set(p.file, { t: Date.now(), bytes: p.received });
    const s = started.get(p.file)!;
    const secs = Math.max(0.001, (Date.now() - s.t) / 1000);
    const rate = (p.received - s.bytes) / secs;
    const line = formatProgress(p, rate, width);
    if (stream.isTTY) stream.write(`\r${line}\x1b[K${p.done ? "\n" : ""}`);
    else if (p.done) stream.write(line + "\n");
  };
}

export function formatProgress(p: PullProgress, bytesPerSec: number, width = 30): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  if (p.total === undefined || p.total === 0) return `${p.file} ${mb(p.received)} MB ${mb(bytesPerSec)} MB/s${p.done ? " done" : ""}`;
  const frac = Math.min(1, p.received / p.total);
  const filled = Math.round(frac * width);
  return `${p.file} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor(frac * 100)}% ${mb(p.received)}/${mb(p.total)} MB ${mb(bytesPerSec)} MB/s${p.done ? " done" : ""}`;
}
