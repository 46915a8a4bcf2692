import { parseCommandArgs } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb set-metadata [options] ID PATCH

Merges PATCH, a JSON map of top-level metadata fields, into the document's metadata: a field
given replaces the stored one, a field set to null is removed, the others stay. The vector and
the stored text stay as they are. Exit code 1 when there is no document with that id.

Example: sparsedb set-metadata doc-7 '{"reviewed": true, "draft": null}'

Options:
${TARGET_HELP}
  -h, --help             this help`;

export const setMetadataCommand: Command = {
  name: "set-metadata",
  summary: "update some metadata fields of a document",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("set-metadata", argv, TARGET_OPTIONS);
    if (positionals.length !== 2) throw new UsageError(`set-metadata needs a document id and a JSON patch, got ${positionals.length} argument(s)`);
    const [id, json] = positionals as [string, string];
    let patch: unknown;
    try {
      patch = JSON.parse(json);
    } catch (e) {
      throw new UsageError(`the patch is not valid JSON (${(e as Error).message}): ${json}`);
    }
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      await collection.setMetadata(id, patch as Record<string, unknown>); // durable once it resolves (the collection's durability)
      io.stdout.write(`updated ${id}\n`);
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};
