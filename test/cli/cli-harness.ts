import { runCli } from "../../engine/cli/run-cli.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sparsedb ...args` in-process with captured output. */
export async function sparsedb(args: string[], o: { cwd: string; env?: Record<string, string | undefined>; interrupted?: Promise<string>; tty?: boolean }): Promise<CliRun> {
  let stdout = "", stderr = "";
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: o.tty ?? false },
    interrupted: o.interrupted ?? new Promise(() => undefined),
    env: { ...o.env },
    cwd: o.cwd,
  });
  return { code, stdout, stderr };
}
