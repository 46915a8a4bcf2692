import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A `sparsedb serve` child process of the server benchmarks. */
export interface ServerProcess {
  port: number;
  pid: number | undefined;
  /** SIGTERM (a clean shutdown); resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL (no shutdown at all, as a crash); resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * `sparsedb serve` on a free loopback port, in a child process: this build's CLI, or
 * SPARSEDB_BENCH_SERVER (another build's dist/engine/cli/main.js, to compare servers with the
 * same scenarios); SPARSEDB_BENCH_SERVER_NODE_ARGS are node options for it, e.g.
 * "--cpu-prof --cpu-prof-dir=prof". `token`: clients must authenticate with it.
 */
export async function startServer(dir: string, extraArgs: string[] = [], token?: string): Promise<ServerProcess> {
  const main = process.env.SPARSEDB_BENCH_SERVER ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "engine", "cli", "main.js");
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npm run build)`);
  const nodeArgs = (process.env.SPARSEDB_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const tokenArgs = token === undefined ? [] : ["--token", token];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, main, "serve", "--dir", dir, "--port", "0", "--max-connections", "1024", ...tokenArgs, ...extraArgs], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /on [^ ]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`sparsedb serve exited with ${code}: ${out}`)));
  });
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
