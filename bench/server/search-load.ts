import { generateQueries } from "../synthetic/generator.js";
import { startSearchLoad } from "./load-scenarios.js";

/**
 * `node search-load.js PORT CONNECTIONS K QUERIES SEED`: background search load for bench/server's
 * scenarios, run as a child process so that the process timing a newcomer or a writer has an
 * idle event loop of its own. Each connection searches back to back (synthetic queries of
 * bench/synthetic, seeded). Prints "ready" once connected; on SIGTERM stops and prints
 * "searches N errors M".
 */
const [port, connections, k, queries, seed] = process.argv.slice(2).map(Number) as [number, number, number, number, number];
if (![port, connections, k, queries, seed].every((x) => Number.isInteger(x) && x >= 0)) {
  console.error("usage: node search-load.js PORT CONNECTIONS K QUERIES SEED");
  process.exit(2);
}
const load = await startSearchLoad(port, connections, generateQueries(queries, { seed }), k);
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void load.stop().then((r) => {
    process.stdout.write(`searches ${r.searches} errors ${r.errors}\n`);
    process.exit(0);
  });
});
