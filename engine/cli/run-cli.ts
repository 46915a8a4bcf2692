import { SparseDbError } from "../errors.js";
import { describeError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from "./cli-io.js";
import { benchCommand } from "./commands/bench.js";
import { checkCommand } from "./commands/check.js";
import { collectionsCommand } from "./commands/collections.js";
import { countCommand } from "./commands/count.js";
import type { Command } from "./commands/command.js";
import { deleteCommand } from "./commands/delete.js";
import { demoCommand } from "./commands/demo.js";
import { exportCommand } from "./commands/export.js";
import { importCommand } from "./commands/import.js";
import { encodeCommand } from "./commands/encode.js";
import { getCommand } from "./commands/get.js";
import { ingestCommand } from "./commands/ingest.js";
import { modelCommand } from "./commands/model.js";
import { scrollCommand } from "./commands/scroll.js";
import { searchCommand } from "./commands/search.js";
import { serveCommand } from "./commands/serve.js";
import { setMetadataCommand } from "./commands/set-metadata.js";
import { statsCommand } from "./commands/stats.js";

export const COMMANDS: readonly Command[] = [
  demoCommand,
  serveCommand,
  ingestCommand,
  searchCommand,
  getCommand,
  countCommand,
  scrollCommand,
  setMetadataCommand,
  deleteCommand,
  statsCommand,
  exportCommand,
  importCommand,
  collectionsCommand,
  encodeCommand,
  checkCommand,
  modelCommand,
  benchCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: sparsedb COMMAND [options]     (sparsedb COMMAND --help for details)

sparsedb is an embeddable database for learned sparse vectors (SPLADE).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Exit codes: 0 success, 1 failure, 2 bad usage.`;
}

/** Runs one command line; returns the exit code (never throws). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(overview() + "\n");
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`sparsedb: unknown command "${name}"\n\n${overview()}\n`);
    return EXIT_USAGE;
  }
  if (command !== benchCommand && (rest.includes("--help") || rest.includes("-h"))) {
    io.stdout.write(command.help + "\n");
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`sparsedb ${name}: ${e.message}\n(see sparsedb ${name} --help)\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`sparsedb ${name}: ${describeError(e)}\n`);
    if (!(e instanceof SparseDbError) && io.env.SPARSEDB_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return EXIT_FAILURE;
  }
}
