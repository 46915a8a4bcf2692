import type { EncodedText } from "../../encode-text.js";
import { parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import { checkEncode } from "../../validate-request.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb encode [options] "text"

Prints the sparse vector the collection's encoder makes of a text, as WordPiece tokens and
weights, heaviest first, as the SPLADE article shows one: {'pc': 3.02, 'lace': 2.95, ...}, then
the number of non-zero terms. For a SPLADE encoder it also names the expansion terms: tokens
the model added that are not in the text itself. Stores nothing. The tokens are the ones
search --vector '{"tokens": {...}}' takes.

Options:
${TARGET_HELP}
      --role ROLE        document (default: as an upsert encodes it) or query (as a search does)
      --json             print {role, nnz, tokens: [{token, termId, weight, expansion?}], expansionTerms?}
  -h, --help             this help`;

export const encodeCommand: Command = {
  name: "encode",
  summary: "print a text's sparse vector as tokens and weights",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("encode", argv, { ...TARGET_OPTIONS, role: { type: "string" }, json: { type: "boolean" } });
    if (positionals.length === 0) throw new UsageError('give the text to encode, e.g. sparsedb encode "what is a rainforest"');
    const role = stringOption(values, "role");
    const request = checkEncode(positionals.join(" "), { role }); // before opening anything
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      const encoded = await collection.encode(request.text, { role: request.role });
      io.stdout.write(values.json === true ? JSON.stringify(encoded, null, 2) + "\n" : formatEncoded(encoded));
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};

/** The article's form: a Python-style dict of tokens to weights, then the counts. */
export function formatEncoded(e: EncodedText): string {
  const dict = `{${e.tokens.map((t) => `${pyString(t.token)}: ${formatWeight(t.weight)}`).join(", ")}}`;
  let summary = `${e.nnz} non-zero term${e.nnz === 1 ? "" : "s"} (${e.role} vector)`;
  if (e.expansionTerms !== undefined) {
    const expansions = e.tokens.filter((t) => t.expansion).map((t) => pyString(t.token));
    summary += e.expansionTerms === 0 ? "; no expansion terms" : `; ${e.expansionTerms} expansion term${e.expansionTerms === 1 ? "" : "s"} not in the text: ${expansions.join(", ")}`;
  }
  return `${dict}\n${summary}\n`;
}

function formatWeight(w: number): string {
  return Math.abs(w) >= 0.01 ? w.toFixed(2) : w.toPrecision(2);
}

/** A token as Python's repr writes a str: single quotes unless it holds one. */
function pyString(s: string): string {
  const escaped = s.replace(/\\/g, "\\\\");
  if (s.includes("'") && !s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}
