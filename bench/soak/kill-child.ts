import { spawn } from "node:child_process";

/**
 * Runs `node script ...args` until it prints `{"ready":true}`, lets it work `killAfterMs` more,
 * SIGKILLs it, and returns its stdout lines that end in `}` (the JSON lines a writer reports).
 */
export async function runUntilKilled(script: string, args: string[], killAfterMs: number, what: string): Promise<string[]> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (out.includes('{"ready":true}')) {
        clearInterval(t);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`${what} exited early: ${err}`));
      }
    }, 2);
  });
  await new Promise((r) => setTimeout(r, killAfterMs));
  child.kill("SIGKILL");
  await exited;
  return out.split("\n").filter((l) => l.endsWith("}"));
}
