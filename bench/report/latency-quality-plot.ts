import { SparseDbError } from "../../engine/errors.js";

/**
 * An SVG scatter plot of quality against latency, in the style of ann-benchmarks: one series per
 * algorithm (a colour and a marker shape each), latency on a logarithmic x axis, quality on a
 * linear y axis, and each series' Pareto frontier (no other point of the series is both faster
 * and better) drawn as filled markers joined by a line; dominated settings are hollow markers.
 * Plain SVG 1.1 with no scripts or external fonts, so a browser or any viewer opens it.
 */
export interface PlotPoint {
  /** Latency in milliseconds (> 0). */
  x: number;
  /** Quality (e.g. nDCG@10, recall), usually in [0, 1]. */
  y: number;
  /** A setting name written beside the point (e.g. "exact", "k=100"). */
  label?: string;
}

export interface PlotSeries {
  name: string;
  points: readonly PlotPoint[];
}

export interface LatencyQualityPlot {
  title: string;
  /** A second, smaller title line (dataset, what is synthetic). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: readonly PlotSeries[];
}

const WIDTH = 900;
const HEIGHT = 560;
const MARGIN = { left: 80, right: 230, top: 70, bottom: 70 };
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const MARKERS = ["circle", "square", "triangle", "diamond", "triangle-down", "cross"] as const;
type Marker = (typeof MARKERS)[number];

/** The points of a series on its Pareto frontier (faster and better), in increasing latency. */
export function paretoFrontier(points: readonly PlotPoint[]): PlotPoint[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || b.y - a.y);
  const frontier: PlotPoint[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.y > best) {
      frontier.push(p);
      best = p.y;
    }
  }
  return frontier;
}

/** Renders the plot as an SVG document. */
export function renderLatencyQualityPlot(plot: LatencyQualityPlot): string {
  const all = plot.series.flatMap((s) => s.points);
  if (all.length === 0) throw new SparseDbError("INVALID_ARGUMENT", "the plot has no points; run at least one algorithm");
  for (const p of all) {
    if (!(p.x > 0) || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new SparseDbError("INVALID_ARGUMENT", `plot point (${p.x}, ${p.y}) is invalid: latency must be > 0 and quality finite`);
    }
  }
  const xs = logAxis(Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x)));
  const ys = linearAxis(Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((Math.log10(x) - Math.log10(xs.min)) / (Math.log10(xs.max) - Math.log10(xs.min))) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((y - ys.min) / (ys.max - ys.min)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(plot.title)}</text>`,
  );
  if (plot.subtitle) {
    out.push(`<text x="${MARGIN.left + plotW / 2}" y="50" text-anchor="middle" font-size="12" fill="#555555">${esc(plot.subtitle)}</text>`);
  }
  // grid and ticks
  for (const t of xs.ticks) {
    const x = r(px(t.value));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="${t.major ? "#d0d0d0" : "#ececec"}" stroke-width="1"/>`);
    out.push(`<line x1="${x}" y1="${MARGIN.top + plotH}" x2="${x}" y2="${MARGIN.top + plotH + (t.major ? 6 : 3)}" stroke="#333333"/>`);
    if (t.label) out.push(`<text x="${x}" y="${MARGIN.top + plotH + 20}" text-anchor="middle" font-size="12">${esc(t.label)}</text>`);
  }
  for (const t of ys.ticks) {
    const y = py(t.value);
    out.push(`<line x1="${MARGIN.left}" y1="${r(y)}" x2="${MARGIN.left + plotW}" y2="${r(y)}" stroke="#d0d0d0" stroke-width="1"/>`);
    out.push(`<line x1="${MARGIN.left - 6}" y1="${r(y)}" x2="${MARGIN.left}" y2="${r(y)}" stroke="#333333"/>`);
    out.push(`<text x="${MARGIN.left - 10}" y="${r(y + 4)}" text-anchor="end" font-size="12">${esc(t.label ?? "")}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`);
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 22}" text-anchor="middle" font-size="14">${esc(plot.xLabel)}</text>`,
    `<text transform="translate(22 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(plot.yLabel)}</text>`,
  );
  // series; point labels are placed where they overlap no marker and no earlier label
  const occupied: Box[] = all.map((p) => ({ x: px(p.x) - 6, y: py(p.y) - 6, w: 12, h: 12 }));
  plot.series.forEach((series, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const marker = MARKERS[i % MARKERS.length]!;
    const frontier = paretoFrontier(series.points);
    const onFrontier = new Set(frontier);
    out.push(`<g class="series" data-name="${esc(series.name)}">`);
    if (frontier.length > 1) {
      const d = frontier.map((p, j) => `${j === 0 ? "M" : "L"}${r(px(p.x))},${r(py(p.y))}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const p of series.points) {
      out.push(markerSvg(marker, px(p.x), py(p.y), colour, onFrontier.has(p)));
      if (p.label) {
        const spot = placeLabel(p.label, px(p.x), py(p.y), occupied);
        if (spot !== undefined) out.push(`<text x="${r(spot.x)}" y="${r(spot.y)}" text-anchor="${spot.anchor}" font-size="10" fill="${colour}">${esc(p.label)}</text>`);
      }
    }
    out.push(`</g>`);
  });
  // legend
  const lx = MARGIN.left + plotW + 20;
  out.push(`<text x="${lx}" y="${MARGIN.top + 4}" font-size="13" font-weight="bold">algorithm</text>`);
  plot.series.forEach((series, i) => {
    const y = MARGIN.top + 26 + i * 22;
    const colour = PALETTE[i % PALETTE.length]!;
    out.push(`<line x1="${lx}" y1="${y}" x2="${lx + 24}" y2="${y}" stroke="${colour}" stroke-width="2"/>`);
    out.push(markerSvg(MARKERS[i % MARKERS.length]!, lx + 12, y, colour, true));
    out.push(`<text x="${lx + 32}" y="${y + 4}" font-size="12">${esc(series.name)}</text>`);
  });
  const noteY = MARGIN.top + 26 + plot.series.length * 22 + 14;
  out.push(
    `<text x="${lx}" y="${noteY}" font-size="10" fill="#555555">filled, joined: Pareto frontier</text>`,
    `<text x="${lx}" y="${noteY + 14}" font-size="10" fill="#555555">hollow: dominated setting</text>`,
    `<text x="${lx}" y="${noteY + 28}" font-size="10" fill="#555555">up and left is better</text>`,
    `<text x="${lx}" y="${noteY + 42}" font-size="10" fill="#555555">point labels left out where crowded</text>`,
  );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Tries eight spots around a point for a 10px label and takes the first that overlaps nothing;
 * undefined (no label) when every spot is taken, since overprinted labels help no reader.
 */
function placeLabel(label: string, cx: number, cy: number, occupied: Box[]): { x: number; y: number; anchor: string } | undefined {
  const w = label.length * 6 + 2;
  const h = 11;
  const spots: { dx: number; dy: number; anchor: "start" | "end" | "middle" }[] = [
    { dx: 8, dy: -8, anchor: "start" },
    { dx: 8, dy: 14, anchor: "start" },
    { dx: -8, dy: -8, anchor: "end" },
    { dx: -8, dy: 14, anchor: "end" },
    { dx: 0, dy: -12, anchor: "middle" },
    { dx: 0, dy: 20, anchor: "middle" },
    { dx: 10, dy: 4, anchor: "start" },
    { dx: -10, dy: 4, anchor: "end" },
  ];
  const boxOf = (s: (typeof spots)[number]): Box => {
    const left = s.anchor === "start" ? cx + s.dx : s.anchor === "end" ? cx + s.dx - w : cx - w / 2;
    return { x: left, y: cy + s.dy - h + 2, w, h };
  };
  const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const chosen = spots.find((s) => !occupied.some((o) => overlaps(o, boxOf(s))));
  if (chosen === undefined) return undefined;
  occupied.push(boxOf(chosen));
  return { x: cx + chosen.dx, y: cy + chosen.dy, anchor: chosen.anchor };
}

function markerSvg(marker: Marker, cx: number, cy: number, colour: string, filled: boolean): string {
  const fill = filled ? colour : "#ffffff";
  const style = `fill="${fill}" stroke="${colour}" stroke-width="1.5"`;
  const s = 5;
  const pts = (list: [number, number][]) => list.map(([x, y]) => `${r(cx + x)},${r(cy + y)}`).join(" ");
  switch (marker) {
    case "circle":
      return `<circle cx="${r(cx)}" cy="${r(cy)}" r="${s}" ${style}/>`;
    case "square":
      return `<rect x="${r(cx - s)}" y="${r(cy - s)}" width="${2 * s}" height="${2 * s}" ${style}/>`;
    case "triangle":
      return `<polygon points="${pts([[0, -s - 1], [s + 1, s], [-s - 1, s]])}" ${style}/>`;
    case "triangle-down":
      return `<polygon points="${pts([[0, s + 1], [s + 1, -s], [-s - 1, -s]])}" ${style}/>`;
    case "diamond":
      return `<polygon points="${pts([[0, -s - 1], [s + 1, 0], [0, s + 1], [-s - 1, 0]])}" ${style}/>`;
    case "cross":
      return `<polygon points="${pts([[-2, -s - 1], [2, -s - 1], [2, -2], [s + 1, -2], [s + 1, 2], [2, 2], [2, s + 1], [-2, s + 1], [-2, 2], [-s - 1, 2], [-s - 1, -2], [-2, -2]])}" ${style}/>`;
  }
}

interface Tick {
  value: number;
  label?: string;
  major: boolean;
}

interface Axis {
  min: number;
  max: number;
  ticks: Tick[];
}

/** A log10 axis covering [lo, hi] out to whole decades, or 1-2-5 steps when the span is small. */
export function logAxis(lo: number, hi: number): Axis {
  let min = Math.pow(10, Math.floor(Math.log10(lo)));
  if (min > lo) min /= 10; // log10 can round up just below a power of ten
  let max = Math.pow(10, Math.ceil(Math.log10(hi)));
  if (max < hi) max *= 10;
  if (max <= min) max = min * 10;
  const decades = Math.round(Math.log10(max / min));
  // Few decades: tighten to 1-2-5 bounds and label them; many decades: label decades only.
  const steps = [1, 2, 5];
  if (decades <= 2) {
    const below = (v: number) => Math.max(...candidates(min, max).filter((c) => c <= v));
    const above = (v: number) => Math.min(...candidates(min, max).filter((c) => c >= v));
    min = below(lo);
    max = above(hi);
    if (max <= min) max = above(min * 1.5);
  }
  const ticks: Tick[] = [];
  for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)); e++) {
    for (let m = 1; m <= 9; m++) {
      const v = m * Math.pow(10, e);
      if (v < min * (1 - 1e-9) || v > max * (1 + 1e-9)) continue;
      const labelled = m === 1 || (decades <= 2 && steps.includes(m));
      ticks.push(labelled ? { value: v, label: formatTickNumber(v), major: m === 1 } : { value: v, major: false });
    }
  }
  return { min, max, ticks };
}

function candidates(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.round(Math.log10(min)); e <= Math.round(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) out.push(m * Math.pow(10, e));
  }
  return out;
}

/** A linear axis with 1-2-5 tick steps around [lo, hi], padded so points do not sit on the frame. */
export function linearAxis(lo: number, hi: number): Axis {
  let span = hi - lo;
  if (span <= 0) span = Math.max(Math.abs(hi) * 0.1, 0.1);
  const rawStep = span / 6;
  const power = Math.pow(10, Math.floor(Math.log10(rawStep)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rawStep)!;
  let min = Math.floor((lo - span * 0.05) / step) * step;
  let max = Math.ceil((hi + span * 0.05) / step) * step;
  // Quality lives in [0, 1]: never pad past those bounds when the data stays inside them.
  if (lo >= 0 && min < 0) min = 0;
  if (hi <= 1 && max > 1) max = 1;
  if (max <= min) max = min + step;
  const ticks: Tick[] = [];
  for (let v = min; v <= max + step / 2; v += step) {
    const value = Number(v.toPrecision(12));
    ticks.push({ value, label: formatTickNumber(value), major: true });
  }
  return { min, max, ticks };
}

function formatTickNumber(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-4) return v.toExponential(0);
  return String(Number(v.toPrecision(6)));
}

function r(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
