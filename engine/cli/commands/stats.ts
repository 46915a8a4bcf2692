import { parseCommandArgs } from "../cli-args.js";
import { EXIT_OK } from "../cli-io.js";
import { openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb stats [options]

Prints the collections and their figures (documents, segments, postings, bytes) as JSON; with
--collection, only that one.

Options:
${TARGET_HELP}
  -h, --help             this help`;

export const statsCommand: Command = {
  name: "stats",
  summary: "print collections and their figures",
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs("stats", argv, TARGET_OPTIONS);
    const target = await openTarget(values, io);
    try {
      const names = typeof values.collection === "string" ? [values.collection] : (await target.listCollections()).map((c) => c.name);
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = await (await target.collection(name)).stats();
      io.stdout.write(JSON.stringify({ database: target.where, collections: out }, null, 2) + "\n");
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};
