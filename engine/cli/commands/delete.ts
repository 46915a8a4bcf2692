import { jsonOption, parseCommandArgs } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Filter } from "../../filter.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb delete [options] ID...
       sparsedb delete [options] --filter JSON

Deletes documents by id, or every document whose metadata matches a filter (the filter language
of search; '{}' matches every document), and prints how many existed.

Options:
      --filter JSON      delete the documents matching this metadata filter, e.g. '{"lang": "fr"}'
${TARGET_HELP}
  -h, --help             this help`;

export const deleteCommand: Command = {
  name: "delete",
  summary: "delete documents by id or by metadata filter",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("delete", argv, { ...TARGET_OPTIONS, filter: { type: "string" } });
    const filter = jsonOption(values, "filter");
    if (filter !== undefined && positionals.length > 0) throw new UsageError("give document ids or --filter, not both");
    if (filter === undefined && positionals.length === 0) throw new UsageError("delete needs at least one document id, or --filter JSON");
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      if (filter !== undefined) {
        const n = await collection.delete({ filter: filter as Filter });
        await collection.flush();
        io.stdout.write(`deleted ${n} matching ${JSON.stringify(filter)}\n`);
        return EXIT_OK;
      }
      const n = await collection.delete(positionals);
      await collection.flush();
      io.stdout.write(`deleted ${n} of ${positionals.length}\n`);
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};
