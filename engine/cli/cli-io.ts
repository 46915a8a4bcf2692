import { SparseDbError } from "../errors.js";

/** Where a command writes; tests pass buffers, main.ts passes the process streams. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); tests resolve it themselves. */
  interrupted: Promise<string>;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Bad usage: exit code 2, the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function describeError(e: unknown): string {
  if (e instanceof SparseDbError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
