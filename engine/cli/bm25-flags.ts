import type { Bm25Config } from "../../encoder/index.js";
import { UsageError } from "./cli-io.js";
import type { OptionSpec } from "./cli-args.js";

/** BM25's options on the command line; they apply when a command creates a BM25 collection. */
export const BM25_OPTIONS: OptionSpec = {
  "bm25-k1": { type: "string" },
  "bm25-b": { type: "string" },
  "max-tokens": { type: "string" },
  stopwords: { type: "string" },
  "keep-punctuation": { type: "boolean" },
};

export const BM25_HELP = `      --bm25-k1 X        BM25 term-frequency saturation, >= 0 (default 0.9)
      --bm25-b X         BM25 length normalization, 0..1 (default 0.4)
      --max-tokens N     word pieces read per text, [CLS]/[SEP] included (default 512)
      --stopwords LIST   bm25: none (default) | english (Lucene's 33 English stopwords)
      --keep-punctuation bm25: keep word pieces made only of punctuation (dropped by default)`;

/**
 * The BM25 fields the flags give (empty when none is given). Numbers are parsed here; their
 * ranges are checked where every entry point checks them (encoder/bm25-options.ts), so the
 * CLI, the library and the server reject the same values with the same message.
 */
export function bm25FromFlags(values: Record<string, unknown>): Partial<Bm25Config> {
  const out: Partial<Bm25Config> = {};
  const num = (flag: string): number | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(v)}`);
    return n;
  };
  const k1 = num("bm25-k1"), b = num("bm25-b"), maxTokens = num("max-tokens");
  if (k1 !== undefined) out.k1 = k1;
  if (b !== undefined) out.b = b;
  if (maxTokens !== undefined) out.maxTokens = maxTokens;
  if (typeof values.stopwords === "string") out.stopwords = values.stopwords as Bm25Config["stopwords"];
  if (values["keep-punctuation"] === true) out.dropPunctuation = false;
  return out;
}

/** Whether any flag other than --max-tokens (which every encoder takes) is BM25's own. */
export function hasBm25OnlyFlags(values: Record<string, unknown>): boolean {
  return ["bm25-k1", "bm25-b", "stopwords", "keep-punctuation"].some((f) => values[f] !== undefined);
}
