import { readFileSync } from "node:fs";

/** The first fenced code block of `lang` under the README heading `heading` (e.g. "## Library"). */
export function readmeCodeBlock(readmePath: string, heading: string, lang = "ts"): string {
  const text = readFileSync(readmePath, "utf8");
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${readmePath} has no "${heading}" heading`);
  const fence = "```";
  const open = text.indexOf(`\n${fence}${lang}\n`, start);
  const nextHeading = text.indexOf("\n## ", start + heading.length + 1);
  if (open < 0 || (nextHeading >= 0 && open > nextHeading)) throw new Error(`no ${fence}${lang} block under "${heading}" in ${readmePath}`);
  const bodyStart = open + fence.length + lang.length + 2;
  const close = text.indexOf(`\n${fence}\n`, bodyStart);
  if (close < 0) throw new Error(`unclosed code block under "${heading}" in ${readmePath}`);
  return text.slice(bodyStart, close + 1);
}
