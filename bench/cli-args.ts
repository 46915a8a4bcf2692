import { SparseDbError } from "../engine/errors.js";

/**
 * A small `--name value` / `--flag` parser for the benchmark commands. Unknown options are
 * errors that list the known ones.
 */
export interface ParsedArgs {
  values: Map<string, string>;
  flags: Set<string>;
}

export function parseArgs(argv: string[], valueOptions: string[], flagOptions: string[] = []): ParsedArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (flagOptions.includes(name)) {
      flags.add(name);
    } else if (valueOptions.includes(name)) {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new SparseDbError("INVALID_ARGUMENT", `${name} needs a value`);
      values.set(name, v);
    } else {
      throw new SparseDbError(
        "INVALID_ARGUMENT",
        `unknown option ${arg}; known: ${[...valueOptions, ...flagOptions].join(" ")}`,
      );
    }
  }
  return { values, flags };
}

export function intOption(args: ParsedArgs, name: string, fallback: number, min = 0): number {
  const v = args.values.get(name);
  if (v === undefined) return fallback;
  const n = Number(v.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new SparseDbError("INVALID_ARGUMENT", `${name} must be an integer >= ${min}, got ${v}`);
  return n;
}

/** Median, mean and percentiles of a list of numbers. */
export function summarize(xs: number[]): { mean: number; p50: number; p99: number } {
  if (xs.length === 0) return { mean: 0, p50: 0, p99: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, p50: at(0.5), p99: at(0.99) };
}
