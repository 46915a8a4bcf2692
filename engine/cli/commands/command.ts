import type { CliIo } from "../cli-io.js";

/** One `sparsedb` subcommand. `run` returns the exit code; it throws UsageError for bad usage. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
  /** True when the command watches `io.interrupted` to stop cleanly; otherwise SIGINT/SIGTERM exit at once. */
  handlesInterrupt?: boolean;
}
