import type { IncludeOptions } from "../requests.js";
import { stringOption, type OptionSpec } from "./cli-args.js";
import { UsageError } from "./cli-io.js";

/**
 * The flags that choose what a hit or a document carries (the `include` option of search, get
 * and getMany): the stored text, all metadata, some fields (dotted paths reach nested ones, as
 * in filters) or none. `search` shows no text unless asked (`--include-text`), `get` shows it
 * unless told not to (`--no-text`), as the library's defaults are.
 */
export const INCLUDE_OPTIONS: OptionSpec = {
  fields: { type: "string" },
  "no-metadata": { type: "boolean" },
};

export const INCLUDE_HELP = `      --fields A,B.C     show only these metadata fields (a dotted path reaches a nested field;
                         a JSON array ["a,b", "c"] for names holding commas)
      --no-metadata      show no metadata`;

/** The `include` the flags ask for, or undefined when they ask for the defaults. */
export function includeFromFlags(values: Record<string, unknown>, text: boolean | undefined): IncludeOptions | undefined {
  const fields = stringOption(values, "fields");
  if (fields !== undefined && values["no-metadata"] === true) throw new UsageError("give --fields or --no-metadata, not both");
  const include: IncludeOptions = {};
  if (text !== undefined) include.text = text;
  if (values["no-metadata"] === true) include.metadata = false;
  if (fields !== undefined) include.metadata = parseFields(fields);
  return Object.keys(include).length === 0 ? undefined : include;
}

function parseFields(s: string): string[] {
  if (s.trim().startsWith("[")) {
    let list: unknown;
    try {
      list = JSON.parse(s);
    } catch (e) {
      throw new UsageError(`--fields is not a valid JSON array (${(e as Error).message}): ${s}`);
    }
    if (!Array.isArray(list) || list.some((f) => typeof f !== "string" || f === "")) throw new UsageError(`--fields as JSON must be an array of non-empty field names, got ${s}`);
    return list as string[];
  }
  const names = s.split(",").map((f) => f.trim());
  if (names.some((f) => f === "")) throw new UsageError(`--fields takes field names separated by commas, e.g. --fields lang,source.site; got ${JSON.stringify(s)}`);
  return names;
}
