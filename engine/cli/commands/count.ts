import { jsonOption, parseCommandArgs } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Filter } from "../../filter.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb count [options]

Prints the number of live documents, or with --filter of those whose metadata matches.

Options:
      --filter JSON      count only documents matching this metadata filter, e.g. '{"year": {"gte": 2000}}'
${TARGET_HELP}
  -h, --help             this help`;

export const countCommand: Command = {
  name: "count",
  summary: "count documents (optionally matching a metadata filter)",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("count", argv, { ...TARGET_OPTIONS, filter: { type: "string" } });
    if (positionals.length > 0) throw new UsageError(`count takes no arguments (got ${JSON.stringify(positionals[0])}); filter with --filter JSON`);
    const filter = jsonOption(values, "filter");
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      io.stdout.write(`${await collection.count(filter === undefined ? undefined : (filter as Filter))}\n`);
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};
