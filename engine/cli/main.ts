#!/usr/bin/env node
import { COMMANDS, runCli } from "./run-cli.js";

/**
 * The `sparsedb` command (package.json "bin"). Commands that stop cleanly on a signal (serve,
 * ingest, bench, model pull) get it through `interrupted`; the others exit at once with 130.
 */
const command = COMMANDS.find((c) => c.name === process.argv[2]);
const interrupted = new Promise<string>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      if (command?.handlesInterrupt !== true) process.exit(130);
      resolve(signal);
      // A second signal means: stop now.
      process.once(signal, () => process.exit(130));
    });
  }
});

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  interrupted,
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
    // Commands close what they open; this only guards against a stray handle keeping us alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`sparsedb: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
