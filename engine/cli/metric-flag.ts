import { METRICS, type Metric } from "../similarity-metric.js";
import { UsageError } from "./cli-io.js";
import type { OptionSpec } from "./cli-args.js";

/** `--metric`, for commands that create a collection (with the encoder flags). */
export const METRIC_OPTIONS: OptionSpec = { metric: { type: "string" } };

export const METRIC_HELP = `      --metric METRIC    dot (default) or cosine: how the new collection compares vectors
                         (cosine needs a SPLADE or inference-free encoder, not bm25)`;

/** The config field `--metric` gives a new collection ({} without the flag). */
export function metricFromFlags(values: Record<string, unknown>): { metric?: Metric } {
  const m = values.metric;
  if (m === undefined) return {};
  if (typeof m !== "string" || !(METRICS as string[]).includes(m)) throw new UsageError(`--metric must be ${METRICS.join(" or ")}, got ${JSON.stringify(m)}`);
  return { metric: m as Metric };
}
