import { parseCommandArgs } from "../cli-args.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../cli-io.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb get [options] ID...

Prints each document as JSON: id, metadata, and its vector as {terms, weights}. Exit code 1 when
an id is not found.

Options:
${TARGET_HELP}
  -h, --help             this help`;

export const getCommand: Command = {
  name: "get",
  summary: "print documents by id",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("get", argv, TARGET_OPTIONS);
    if (positionals.length === 0) throw new UsageError("get needs at least one document id");
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      let missing = 0;
      for (const id of positionals) {
        const doc = await collection.get(id);
        if (doc === null) {
          io.stderr.write(`not found: ${id}\n`);
          missing++;
          continue;
        }
        io.stdout.write(JSON.stringify({ id: doc.id, metadata: doc.metadata ?? null, vector: { terms: Array.from(doc.vector.terms), weights: Array.from(doc.vector.weights) } }) + "\n");
      }
      return missing > 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      await target.close();
    }
  },
};
