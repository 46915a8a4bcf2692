import { parseCommandArgs } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb delete [options] ID...

Deletes documents by id and prints how many existed.

Options:
${TARGET_HELP}
  -h, --help             this help`;

export const deleteCommand: Command = {
  name: "delete",
  summary: "delete documents by id",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("delete", argv, TARGET_OPTIONS);
    if (positionals.length === 0) throw new UsageError("delete needs at least one document id");
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      const n = await collection.delete(positionals);
      await collection.flush();
      io.stdout.write(`deleted ${n} of ${positionals.length}\n`);
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};
