import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { Database } from "../../engine/database.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { intOption, parseArgs } from "../cli-args.js";
import { summarizeLatency } from "../metrics/latency.js";
import { fixed, markdownTable } from "../report/markdown-table.js";
import { generateDocumentBatch, batchVector, generateQueries } from "../synthetic/generator.js";
import { threadCpu, threadCpuSince } from "./thread-cpu.js";
import { startServer } from "./serve-process.js";
import { killScenario, type KillFigures } from "./kill-scenario.js";
import { firstReplyScenario, hostileScenario, startSearchLoad, writeScenario, type FirstReplyFigures, type HostileFigures, type WriteFigures } from "./load-scenarios.js";

/**
 * `npm run bench -- server`: k=10 search throughput and latency through `sparsedb serve` at 1, 8
 * and 64 connections, against direct in-process calls on the same collection in the same run.
 *
 * The server runs in its own process (the CLI's `serve`), the clients in this one, so on a
 * 2-core machine each side has a core; the in-process baseline runs on one core, as the server's
 * searches do. Corpus and queries are synthetic SPLADE-like vectors (bench/synthetic), seeded.
 *
 * Then the load scenarios (load-scenarios.ts), each a figure under load against the same figure
 * unloaded in the same run: a new connection's first reply while 64 others search; normal
 * clients' latency with idle, slow and garbage connections added; upserts under search load.
 * On request (`--scenarios kill`, kill-scenario.ts): mixed load, SIGKILL, restart, and every
 * acknowledged upsert checked.
 */
const HELP = `usage: npm run bench -- server [options]
  --docs N          synthetic documents (default 100000)
  --queries N       distinct synthetic queries, cycled (default 2000)
  --k N             hits per search (default 10)
  --seconds N       measuring time per configuration (default 5; kill: the load before the
                    SIGKILL, default 60, at most 600)
  --connections L   comma-separated connection counts (default 1,8,64)
  --warmup N        warm-up seconds before each measurement (default 2)
  --seed N          corpus seed (default 7)
  --scenarios L     comma-separated: throughput, first-reply, hostile, writes (default all of
                    these four), kill (SIGKILL under mixed load; kill-scenario.ts)
  --kill-connections N   kill: client connections (default 64)
  --samples N       first-reply samples, unloaded and loaded each (default 100)
  --main-thread     throughput also through a server that searches on its main thread
                    (serve --search-threads 0), for comparison in the same run
  --json FILE       also write the figures as JSON
The server is this build's sparsedb serve, or SPARSEDB_BENCH_SERVER=path/to/dist/engine/cli/main.js;
SPARSEDB_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server.`;

interface Row {
  setup: string;
  connections: number;
  searches: number;
  seconds: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time per search of the process that runs the searches (this one, or the server). */
  cpuMsPerSearch: number;
  /** The server's main thread (event loop) and its other threads (search workers, GC helpers), per search; null in-process or without /proc. */
  mainThreadCpuMsPerSearch: number | null;
  otherThreadsCpuMsPerSearch: number | null;
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log(HELP);
    return;
  }
  const args = parseArgs(argv, ["--docs", "--queries", "--k", "--seconds", "--warmup", "--connections", "--seed", "--json", "--scenarios", "--samples", "--kill-connections"], ["--main-thread"]);
  const docs = intOption(args, "--docs", 100_000, 1);
  const numQueries = intOption(args, "--queries", 2000, 1);
  const k = intOption(args, "--k", 10, 1);
  const seconds = intOption(args, "--seconds", 5, 1);
  const seed = intOption(args, "--seed", 7, 0);
  const warmup = intOption(args, "--warmup", 2, 0);
  const connections = (args.values.get("--connections") ?? "1,8,64").split(",").map((s) => Number(s));
  if (connections.some((c) => !Number.isInteger(c) || c < 1 || c > 1000)) throw new Error("--connections must be a comma-separated list of integers in 1..1000");
  const jsonPath = args.values.get("--json");
  const samples = intOption(args, "--samples", 100, 1);
  const ALL = ["throughput", "first-reply", "hostile", "writes"];
  const KNOWN = [...ALL, "kill"];
  const scenarios = new Set((args.values.get("--scenarios") ?? ALL.join(",")).split(","));
  for (const sc of scenarios) if (!KNOWN.includes(sc)) throw new Error(`unknown scenario "${sc}"; known: ${KNOWN.join(", ")}`);

  const json: Record<string, unknown> = { docs, queries: numQueries, k, seconds };
  if (scenarios.has("kill")) {
    // Its own server on its own fresh folder: it needs no synthetic corpus.
    const killSeconds = args.values.has("--seconds") ? seconds : 60;
    if (killSeconds > 600) throw new Error(`--seconds ${killSeconds} is too long for the kill scenario; use at most 600`);
    const killConnections = intOption(args, "--kill-connections", 64, 1);
    if (killConnections > 1000) throw new Error("--kill-connections must be at most 1000");
    const f = await killScenario({ connections: killConnections, seconds: killSeconds, seed });
    printKill(f);
    json.kill = f;
    scenarios.delete("kill");
  }
  if (scenarios.size === 0) {
    await writeJson(jsonPath, json);
    return;
  }

  const dir = await mkdtemp(join(tmpdir(), "sparsedb-bench-server-"));
  try {
    console.log(`building ${docs} synthetic documents in ${dir} ...`);
    const buildStarted = performance.now();
    const db = await Database.open(dir);
    const collection = await db.createCollection("bench", { durability: "off", memtableMaxDocs: 50_000 });
    if ((collection.vocabularySize ?? 0) < 30522) {
      throw new Error(`the default encoder's vocabulary has ${collection.vocabularySize} terms; the synthetic corpus needs BERT's 30522 (put the tokenizer in ../shared/data or set SPARSEDB_DATA)`);
    }
    for (let first = 0; first < docs; first += 2000) {
      const batch = generateDocumentBatch(first, Math.min(2000, docs - first), { seed });
      await collection.upsert(Array.from({ length: batch.count }, (_, i) => ({ id: `d${first + i}`, vector: batchVector(batch, i) })));
    }
    await collection.flush();
    await quiescent(() => collection.stats());
    const built = await collection.stats();
    console.log(`built in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s: ${built.docs} docs, ${built.segments} segments, ${built.postings} postings`);
    const queries = generateQueries(numQueries, { seed: seed + 1 });

    await db.close();

    if (scenarios.has("throughput")) Object.assign(json, await throughput(dir, queries, k, seconds, warmup, connections, docs, numQueries, args.flags.has("--main-thread")));
    if (scenarios.has("first-reply") || scenarios.has("hostile") || scenarios.has("writes")) {
      const server = await startServer(dir);
      try {
        // Warm the server's JIT and the segments' kernels before any figure is taken.
        await warmUp(server.port, queries, k, warmup);
        if (scenarios.has("first-reply")) {
          const f = await firstReplyScenario(server.port, { count: numQueries, seed: seed + 1 }, k, samples);
          printFirstReply(f);
          json.firstReply = f;
        }
        if (scenarios.has("hostile")) {
          const h = await hostileScenario(server.port, server.pid, queries, k, seconds);
          printHostile(h);
          json.hostile = h;
        }
        if (scenarios.has("writes")) {
          const w = await writeScenario(server.port, { count: numQueries, seed: seed + 1 }, k, seconds, seed);
          printWrites(w);
          json.writes = w;
        }
      } finally {
        await server.stop();
      }
    }
    await writeJson(jsonPath, json);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Search throughput and latency, in-process (before and after) and through the server at each connection count. */
async function throughput(dir: string, queries: SparseVector[], k: number, seconds: number, warmup: number, connections: number[], docs: number, numQueries: number, mainThreadToo: boolean): Promise<Record<string, unknown>> {
  // The baseline opens the collection fresh from disk, as the server does, and runs both
  // before and after the server runs so that drift in the machine's load shows.
  const rows: Row[] = [];
  rows.push(await inProcess(dir, queries, k, seconds, warmup, "in-process (before)"));
  const server = await startServer(dir);
  try {
    for (const c of connections) rows.push(await measureServer(server, c, queries, k, seconds, warmup));
  } finally {
    await server.stop();
  }
  if (mainThreadToo) {
    const mainThread = await startServer(dir, ["--search-threads", "0"]);
    try {
      for (const c of connections) rows.push({ ...(await measureServer(mainThread, c, queries, k, seconds, warmup)), setup: "server, main thread" });
    } finally {
      await mainThread.stop();
    }
  }
  rows.push(await inProcess(dir, queries, k, seconds, warmup, "in-process (after)"));

  const base = (rows[0]!.qps + rows[rows.length - 1]!.qps) / 2;
  const baseCpu = (rows[0]!.cpuMsPerSearch + rows[rows.length - 1]!.cpuMsPerSearch) / 2;
  console.log();
  console.log(`k=${k} searches over ${docs} synthetic documents (${numQueries} queries, exact mode), ${seconds} s each:`);
  console.log(markdownTable(
    ["setup", "connections", "searches", "queries/s", "vs in-process (mean of both)", "p50 ms", "p99 ms", "CPU ms/search", "main thread", "other threads", "CPU efficiency"],
    rows.map((r) => [
      r.setup, r.connections, r.searches, fixed(r.qps, 0), `${fixed((100 * r.qps) / base, 1)}%`, fixed(r.p50Ms, 3), fixed(r.p99Ms, 3), fixed(r.cpuMsPerSearch, 3),
      r.mainThreadCpuMsPerSearch === null ? "" : fixed(r.mainThreadCpuMsPerSearch, 3), r.otherThreadsCpuMsPerSearch === null ? "" : fixed(r.otherThreadsCpuMsPerSearch, 3),
      `${fixed((100 * baseCpu) / r.cpuMsPerSearch, 1)}%`,
    ]),
  ));
  console.log("CPU efficiency = in-process CPU per search / this setup's CPU per search (searching process only): the");
  console.log("throughput share a setup reaches when its process has a core to itself, whatever else loads the machine.");
  console.log("main thread / other threads: the server's CPU per search split by thread (/proc, Linux only): its event loop, and its");
  console.log("search workers with V8's and libuv's helper threads.");
  const at1 = rows.find((r) => r.setup === "server" && r.connections === 1);
  const at8 = rows.find((r) => r.setup === "server" && r.connections === 8);
  if (at8 !== undefined) {
    const ratio = at8.qps / base;
    console.log(`8 connections reach ${(ratio * 100).toFixed(1)}% of in-process throughput (target >= 70% per core): ${ratio >= 0.7 ? "met" : "NOT met"}; CPU efficiency ${((100 * baseCpu) / at8.cpuMsPerSearch).toFixed(1)}%`);
  }
  const scaling = at1 !== undefined && at8 !== undefined ? at8.qps / at1.qps : null;
  if (scaling !== null) console.log(`8 connections vs 1: ${scaling.toFixed(2)}x the throughput (target >= 1.6x on 2 cores)`);
  return { inProcessQps: base, inProcessCpuMsPerSearch: baseCpu, rows, ratioAt8: at8 ? at8.qps / base : null, cpuEfficiencyAt8: at8 ? baseCpu / at8.cpuMsPerSearch : null, scaling8vs1: scaling };
}

/** `seconds` of 8 connections searching, to warm a fresh server. */
async function warmUp(port: number, queries: SparseVector[], k: number, seconds: number): Promise<void> {
  const load = await startSearchLoad(port, 8, queries, k);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await load.stop();
}

async function writeJson(path: string | undefined, json: Record<string, unknown>): Promise<void> {
  if (path === undefined) return;
  await writeFile(path, JSON.stringify(json, null, 2) + "\n");
  console.log(`wrote ${path}`);
}

function printKill(f: KillFigures): void {
  console.log();
  console.log(`${f.connections} connections, mixed upserts (${f.batch} documents each) and searches for ${f.seconds} s, then SIGKILL and a restart on the same folder:`);
  console.log(markdownTable(["upsert requests", "searches", "documents acknowledged", "lost", "wrong vector", "cut by the kill", "documents after restart", "restart ms", "unexpected errors"], [
    [f.upsertRequests, f.searches, f.acknowledged, f.lost, f.wrongVector, f.cutByKill, f.docsAfterRestart, fixed(f.restartMs, 0), f.unexpectedErrors],
  ]));
  for (const e of f.unexpectedErrorSamples) console.log(`unexpected error: ${e}`);
  console.log(`acknowledged ${f.acknowledged}, lost ${f.lost + f.wrongVector}, unexpected errors ${f.unexpectedErrors}: ${f.met ? "met" : "NOT met"}`);
}

function printFirstReply(f: FirstReplyFigures): void {
  console.log();
  console.log(`A new connection's first reply (connect + ping), ${f.samples} samples each:`);
  console.log(markdownTable(["server", "p50 ms", "p99 ms"], [
    ["idle", fixed(f.unloadedP50Ms, 2), fixed(f.unloadedP99Ms, 2)],
    [`${f.loadConnections} connections searching (${f.loadSearches} searches meanwhile)`, fixed(f.loadedP50Ms, 2), fixed(f.loadedP99Ms, 2)],
  ]));
  console.log(`loaded p99 ${fixed(f.loadedP99Ms, 1)} ms (target <= 100 ms): ${f.loadedP99Ms <= 100 ? "met" : "NOT met"}`);
}

function printHostile(h: HostileFigures): void {
  console.log();
  console.log(`${h.normalConnections} normal connections searching, alone and with 20 idle, 5 slow-header, 5 tiny-chunk and 5 garbage connections:`);
  console.log(markdownTable(["setup", "queries/s", "p50 ms", "p99 ms", "server RSS MB"], [
    ["normal clients alone", fixed(h.baselineQps, 0), fixed(h.baselineP50Ms, 3), fixed(h.baselineP99Ms, 3), h.serverRssBeforeMb === null ? "n/a" : fixed(h.serverRssBeforeMb, 0)],
    ["with the hostile clients", fixed(h.hostileQps, 0), fixed(h.hostileP50Ms, 3), fixed(h.hostileP99Ms, 3), h.serverRssDuringMb === null ? "n/a" : fixed(h.serverRssDuringMb, 0)],
  ]));
  console.log(`p99 grows ${fixed(h.p99Ratio, 2)}x (target <= 1.5x): ${h.p99Ratio <= 1.5 ? "met" : "NOT met"}; garbage connections closed by the server: ${h.garbageConnectionsClosed}; bytes buffered for unfinished frames: ${h.serverBufferedBytes}; error replies to normal clients: ${h.errors}`);
}

function printWrites(w: WriteFigures): void {
  console.log();
  console.log(`Upserts (one writer, batches of ${w.batch}, memtable flushed every 2000 docs), unloaded and with ${w.loadConnections} connections searching:`);
  console.log(markdownTable(["setup", "docs/s", "memtable docs at the end"], [
    ["unloaded", fixed(w.unloadedDocsPerSecond, 0), w.memtableDocsUnloaded],
    [`${w.loadConnections} connections searching (${w.loadSearches} searches meanwhile)`, fixed(w.loadedDocsPerSecond, 0), w.memtableDocsLoaded],
  ]));
  console.log(`loaded / unloaded = ${fixed(w.ratio, 2)} (target >= 0.5): ${w.ratio >= 0.5 ? "met" : "NOT met"}`);
}

async function inProcess(dir: string, queries: SparseVector[], k: number, seconds: number, warmup: number, setup: string): Promise<Row> {
  const db = await Database.open(dir);
  try {
    const collection = await db.collection("bench");
    await quiescent(() => collection.stats());
    return await measureInProcess(queries, seconds, warmup, setup, (q) => collection.search({ vector: q, k }));
  } finally {
    await db.close();
  }
}

async function measureInProcess(queries: SparseVector[], seconds: number, warmup: number, setup: string, search: (q: SparseVector) => Promise<unknown>): Promise<Row> {
  // Warm-up: the JIT settles on the search code; the same time is given to every setup.
  const warmEnd = performance.now() + warmup * 1000;
  for (let i = 0; performance.now() < warmEnd; i++) await search(queries[i % queries.length]!);
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let i = 0;
  while (performance.now() < end) {
    const t = performance.now();
    await search(queries[i++ % queries.length]!);
    lat.push(performance.now() - t);
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const s = summarizeLatency(lat);
  return {
    setup, connections: 1, searches: lat.length, seconds: elapsed, qps: lat.length / elapsed, p50Ms: s.p50Ms, p99Ms: s.p99Ms,
    cpuMsPerSearch: (cpu.user + cpu.system) / 1000 / lat.length, mainThreadCpuMsPerSearch: null, otherThreadsCpuMsPerSearch: null,
  };
}

async function measureServer(server: { port: number; pid: number | undefined }, connections: number, queries: SparseVector[], k: number, seconds: number, warmup: number): Promise<Row> {
  const clients = await Promise.all(Array.from({ length: connections }, () => SparseClient.connect({ port: server.port, timeoutMs: 60_000 })));
  try {
    const collections = await Promise.all(clients.map((c) => c.collection("bench")));
    await quiescent(() => collections[0]!.stats());
    // Warm-up (the server's JIT too), as long as in-process.
    const warmEnd = performance.now() + warmup * 1000;
    await Promise.all(collections.map(async (c, j) => {
      for (let i = j * 131; performance.now() < warmEnd; i++) await c.search({ vector: queries[i % queries.length]!, k });
    }));
    const lat: number[] = [];
    const cpu0 = (await clients[0]!.serverStats()).cpuSeconds as number;
    const threads0 = threadCpu(server.pid);
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(collections.map(async (c, j) => {
      let i = j * 997;
      while (performance.now() < end) {
        const t = performance.now();
        await c.search({ vector: queries[i++ % queries.length]!, k });
        lat.push(performance.now() - t);
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    const threads = threadCpuSince(threads0, threadCpu(server.pid));
    const cpu = ((await clients[0]!.serverStats()).cpuSeconds as number) - cpu0;
    const s = summarizeLatency(lat);
    return {
      setup: "server", connections, searches: lat.length, seconds: elapsed, qps: lat.length / elapsed, p50Ms: s.p50Ms, p99Ms: s.p99Ms, cpuMsPerSearch: (cpu * 1000) / lat.length,
      mainThreadCpuMsPerSearch: threads === undefined ? null : threads.mainMs / lat.length, otherThreadsCpuMsPerSearch: threads === undefined ? null : threads.otherMs / lat.length,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** Waits until no background merge runs, so that every setup searches the same segments. */
async function quiescent(stats: () => Promise<Record<string, unknown>>): Promise<void> {
  for (let calm = 0, i = 0; calm < 3 && i < 600; i++) {
    const s = await stats();
    calm = s.mergeRunning === true ? 0 : calm + 1;
    await new Promise((r) => setTimeout(r, 100));
  }
}
