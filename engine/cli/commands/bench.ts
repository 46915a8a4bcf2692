import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_FAILURE } from "../cli-io.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb bench NAME [options]

Runs a benchmark of the project (retrieval, storage, encoder, server, msmarco, ...) in a child
process: the same as \`npm run bench -- NAME [options]\` without the build step. Each benchmark
takes --help. Needs a clone of the repository with its compiled tree (npm run build): the
installed package does not include the benchmarks.`;

/** The compiled benchmark entry, dist/bench/main.js, found from this file's place in dist/. */
function benchEntry(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, "bench", "main.js"), join(dir, "dist", "bench", "main.js")]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  return undefined;
}

export const benchCommand: Command = {
  name: "bench",
  handlesInterrupt: true,
  summary: "run a benchmark (npm run bench -- NAME)",
  help: HELP,
  async run(argv, io) {
    if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
      io.stdout.write(HELP + "\n");
      return argv.length === 0 ? 2 : 0;
    }
    const entry = benchEntry();
    if (entry === undefined) {
      // The published package does not ship the benchmarks (package.json "files"): they need a clone.
      io.stderr.write(
        "the benchmarks are not part of the installed sparsedb package: clone the repository, then `npm ci && npm run bench -- NAME` " +
          "(in a clone whose dist/ is missing, run `npm run build` first)\n",
      );
      return EXIT_FAILURE;
    }
    // A child process: the engine never imports bench code.
    const child = spawn(process.execPath, ["--max-old-space-size=16384", entry, ...argv], { stdio: "inherit" });
    void io.interrupted.then((sig) => child.kill(sig === "SIGTERM" ? "SIGTERM" : "SIGINT"));
    return new Promise((resolve) => {
      child.on("exit", (code, signal) => resolve(code ?? (signal ? EXIT_FAILURE : 0)));
      child.on("error", (e) => {
        io.stderr.write(`cannot run the benchmark: ${e.message}\n`);
        resolve(EXIT_FAILURE);
      });
    });
  },
};
