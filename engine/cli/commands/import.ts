import { UsageError } from "../cli-io.js";
import type { Command } from "./command.js";
import { ingestCommand } from "./ingest.js";

const HELP = `Usage: sparsedb import [options] FILE

Reads a file written by \`sparsedb export --format jsonl\` (one document a line: id, vector as
terms and weights, metadata, text) back into a collection, creating the collection when it does
not exist; vectors come back bit-identical. It is \`sparsedb ingest --format sparsedb FILE\`: the
same options, bulk loading, progress, bad-line handling and exit codes (see sparsedb ingest --help).
To create the collection with the exported one's encoder first, use the configuration
\`export --format jsonl --mapping FILE\` wrote.`;

export const importCommand: Command = {
  name: "import",
  handlesInterrupt: true,
  summary: "read a sparsedb export (export --format jsonl) back into a collection",
  help: HELP,
  async run(argv, io) {
    if (argv.some((a) => a === "-f" || a === "--format" || a.startsWith("--format="))) {
      throw new UsageError("import reads sparsedb export files only; for other formats use sparsedb ingest --format");
    }
    return ingestCommand.run(["--format", "sparsedb", ...argv], io);
  },
};
