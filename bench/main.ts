#!/usr/bin/env node
/**
 * `npm run bench -- <name> [options]`: runs bench/<name>/main.ts. Each workload prints a table
 * and, with --json, writes its figures as JSON.
 */
const WORKLOADS = ["retrieval", "storage", "ingest", "encoder", "server", "msmarco", "synthetic", "hybrid-data", "calibration", "hybrid"] as const;

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(`usage: npm run bench -- <${WORKLOADS.join("|")}> [options]   (each takes --help)`);
    process.exitCode = name === undefined ? 2 : 0;
    return;
  }
  if (!(WORKLOADS as readonly string[]).includes(name)) {
    console.error(`unknown benchmark "${name}"; choose one of: ${WORKLOADS.join(", ")}`);
    process.exitCode = 2;
    return;
  }
  const mod = (await import(`./${name}/main.js`)) as { run(argv: string[]): Promise<void> };
  await mod.run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
