import { parseCommandArgs } from "../cli-args.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../cli-io.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import { checkId } from "../../validate-request.js";
import type { ScrolledDocument } from "../../requests.js";
import { INCLUDE_HELP, INCLUDE_OPTIONS, includeFromFlags } from "../include-flags.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb get [options] ID...

Prints each document as JSON, one line each in the order given: id, metadata, its stored text
(when the collection keeps texts and it was upserted as text), and its vector as
{terms, weights}. All ids are read in one request at one moment. Exit code 1 when an id is not
found.

Options:
      --no-text          leave the stored texts out
${INCLUDE_HELP}
${TARGET_HELP}
  -h, --help             this help`;

export const getCommand: Command = {
  name: "get",
  summary: "print documents by id",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("get", argv, { ...TARGET_OPTIONS, "no-text": { type: "boolean" }, ...INCLUDE_OPTIONS });
    if (positionals.length === 0) throw new UsageError("get needs at least one document id");
    for (const id of positionals) checkId(id, "get");
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      const docs = await collection.getMany(positionals, { include: includeFromFlags(values, values["no-text"] !== true) });
      let missing = 0;
      docs.forEach((doc, i) => {
        if (doc === null) {
          io.stderr.write(`not found: ${positionals[i]}\n`);
          missing++;
          return;
        }
        io.stdout.write(JSON.stringify(documentJson(doc, { metadata: values["no-metadata"] !== true })) + "\n");
      });
      return missing > 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      await target.close();
    }
  },
};

/** A document as `get` and `scroll` print it (a JSON line): id, metadata, text (when there is one) and vector as {terms, weights} (when there is one). */
export function documentJson(doc: ScrolledDocument, o: { metadata: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = { id: doc.id };
  if (o.metadata) out.metadata = doc.metadata ?? null;
  if (doc.text !== undefined) out.text = doc.text;
  if (doc.vector !== undefined) out.vector = { terms: Array.from(doc.vector.terms), weights: Array.from(doc.vector.weights) };
  return out;
}
