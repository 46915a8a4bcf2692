#!/usr/bin/env node
import { runCli } from "./run-cli.js";

/** The `sparsedb` command (package.json "bin"). */
const interrupted = new Promise<string>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
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
