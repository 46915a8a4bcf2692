/** Column alignment in a Markdown table. */
export type Alignment = "left" | "right";

/**
 * A GitHub-flavoured Markdown table, columns padded so the source reads as a table too. Pipes in
 * cells are escaped. Numbers are right-aligned unless `align` says otherwise.
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  align?: readonly Alignment[],
): string {
  const cells = rows.map((row) => headers.map((_, c) => escapeCell(row[c] === undefined ? "" : String(row[c]))));
  const head = headers.map(escapeCell);
  const alignment = headers.map((_, c) => align?.[c] ?? (rows.length > 0 && rows.every((r) => typeof r[c] === "number") ? "right" : "left"));
  const widths = headers.map((_, c) => Math.max(3, head[c]!.length, ...cells.map((r) => r[c]!.length)));
  const pad = (text: string, c: number) => (alignment[c] === "right" ? text.padStart(widths[c]!) : text.padEnd(widths[c]!));
  const line = (parts: string[]) => `| ${parts.join(" | ")} |`;
  const rule = widths.map((w, c) => (alignment[c] === "right" ? "-".repeat(w - 1) + ":" : "-".repeat(w)));
  return [line(head.map(pad)), line(rule), ...cells.map((r) => line(r.map(pad)))].join("\n") + "\n";
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A number with a fixed count of decimals, for table cells. */
export function fixed(value: number, decimals: number): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : "-";
}
