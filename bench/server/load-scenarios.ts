import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SparseClient } from "../../engine/client/sparse-client.js";
import { encodeFrame, FrameDecoder } from "../../engine/server/frame.js";
import type { SparseVector } from "../../engine/sparse-vector.js";
import { summarizeLatency } from "../metrics/latency.js";
import { batchVector, generateDocumentBatch } from "../synthetic/generator.js";

/**
 * The load and hostile-client scenarios of `npm run bench -- server` (issue "The server under
 * load and attack"): each compares a figure under load with the same figure unloaded, measured
 * in the same run, so that the ratios hold on a machine other work also loads. Loopback only;
 * every loop is bounded by a time or a count.
 */

export interface SearchLoad {
  /** Stops the load; resolves with the searches it completed and the error replies it got. */
  stop(): Promise<{ searches: number; errors: number; latenciesMs: number[] }>;
}

/** `n` connections, each searching back to back (one request in flight) until stopped. */
export async function startSearchLoad(port: number, n: number, queries: SparseVector[], k: number, collection = "bench"): Promise<SearchLoad> {
  const clients = await Promise.all(Array.from({ length: n }, () => SparseClient.connect({ port, timeoutMs: 60_000 })));
  const collections = await Promise.all(clients.map((c) => c.collection(collection)));
  let stopping = false, searches = 0, errors = 0;
  const latenciesMs: number[] = [];
  const loops = collections.map(async (c, j) => {
    for (let i = j * 997; !stopping; i++) {
      const t = performance.now();
      try {
        await c.search({ vector: queries[i % queries.length]!, k });
        searches++;
        latenciesMs.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      await Promise.all(clients.map((c) => c.close()));
      return { searches, errors, latenciesMs };
    },
  };
}

/** Synthetic queries as a child process makes them again: how many, and their seed. */
export interface QuerySource {
  count: number;
  seed: number;
}

/** A bench script of this folder in a child process, once it has printed "ready"; stop() sends SIGTERM and returns what it printed. */
async function startChild(script: string, args: (string | number)[]): Promise<{ stop(): Promise<string> }> {
  const path = join(dirname(fileURLToPath(import.meta.url)), script);
  const child = spawn(process.execPath, [path, ...args.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on("exit", () => { exited = true; resolve(); }));
  for (let i = 0; i < 600 && !out.includes("ready") && !exited; i++) await sleep(50);
  if (!out.includes("ready")) {
    child.kill("SIGKILL");
    throw new Error(`${script} did not start: ${out}`);
  }
  return {
    async stop() {
      child.kill("SIGTERM");
      await exit;
      return out;
    },
  };
}

/** `n` connections searching back to back from a child process (search-load.ts), so that this process's event loop stays idle. */
async function startBackgroundLoad(port: number, n: number, k: number, queries: QuerySource): Promise<{ stop(): Promise<{ searches: number; errors: number }> }> {
  const child = await startChild("search-load.js", [port, n, k, queries.count, queries.seed]);
  return {
    async stop() {
      const out = await child.stop();
      const m = /searches (\d+) errors (\d+)/.exec(out);
      return { searches: m ? Number(m[1]) : 0, errors: m ? Number(m[2]) : 0 };
    },
  };
}

/** Milliseconds from connect() to the first reply (ping) on a fresh connection. */
export function firstReplyMs(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect({ host: "127.0.0.1", port });
    const decoder = new FrameDecoder(1 << 20);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error("no reply to ping within 30 s"));
    }, 30_000);
    s.setNoDelay(true);
    s.on("connect", () => s.write(encodeFrame({ id: 1, op: "ping", args: {} })));
    s.on("data", (chunk: Buffer) => {
      if (decoder.push(chunk).length > 0) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
        s.destroy();
      }
    });
    s.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function firstReplies(port: number, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    out.push(await firstReplyMs(port));
    await sleep(10);
  }
  return out;
}

export interface FirstReplyFigures {
  samples: number;
  unloadedP50Ms: number;
  unloadedP99Ms: number;
  loadedP50Ms: number;
  loadedP99Ms: number;
  loadConnections: number;
  loadSearches: number;
}

/** A new connection's first reply (ping), unloaded and while `loadConnections` others search back to back. */
export async function firstReplyScenario(port: number, queries: QuerySource, k: number, samples: number, loadConnections = 64): Promise<FirstReplyFigures> {
  const unloaded = summarizeLatency(await firstReplies(port, samples));
  const load = await startBackgroundLoad(port, loadConnections, k, queries);
  await sleep(500); // the load reaches its steady state
  const loaded = summarizeLatency(await firstReplies(port, samples));
  const done = await load.stop();
  return { samples, unloadedP50Ms: unloaded.p50Ms, unloadedP99Ms: unloaded.p99Ms, loadedP50Ms: loaded.p50Ms, loadedP99Ms: loaded.p99Ms, loadConnections, loadSearches: done.searches };
}

export interface HostileFigures {
  normalConnections: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  hostileP50Ms: number;
  hostileP99Ms: number;
  p99Ratio: number;
  baselineQps: number;
  hostileQps: number;
  serverRssBeforeMb: number | null;
  serverRssDuringMb: number | null;
  serverBufferedBytes: number;
  garbageConnectionsClosed: number;
  errors: number;
}

/**
 * Normal clients' latency, alone and with 20 idle, 5 slow-header, 5 tiny-chunk and 5 garbage
 * connections added; and the server's resident memory (read from /proc, Linux only).
 */
export async function hostileScenario(port: number, serverPid: number | undefined, queries: SparseVector[], k: number, seconds: number, normal = 8): Promise<HostileFigures> {
  const rssBefore = rssMb(serverPid);
  const measure = async () => {
    const load = await startSearchLoad(port, normal, queries, k);
    await sleep(seconds * 1000);
    return load.stop();
  };
  const baseline = await measure();
  const hostile = await startHostileClients(port);
  await sleep(300);
  const during = await measure();
  const rssDuring = rssMb(serverPid);
  const probe = await SparseClient.connect({ port });
  const buffered = Number((await probe.serverStats()).bufferedBytes ?? 0);
  await probe.close();
  const closed = await hostile.stop();
  const b = summarizeLatency(baseline.latenciesMs), h = summarizeLatency(during.latenciesMs);
  return {
    normalConnections: normal,
    baselineP50Ms: b.p50Ms,
    baselineP99Ms: b.p99Ms,
    hostileP50Ms: h.p50Ms,
    hostileP99Ms: h.p99Ms,
    p99Ratio: h.p99Ms / b.p99Ms,
    baselineQps: baseline.searches / seconds,
    hostileQps: during.searches / seconds,
    serverRssBeforeMb: rssBefore,
    serverRssDuringMb: rssDuring,
    serverBufferedBytes: buffered,
    garbageConnectionsClosed: closed,
    errors: baseline.errors + during.errors,
  };
}

/**
 * The hostile clients, in a child process of their own (hostile-clients.ts) so that their many
 * tiny writes load the server, not the process that times the normal clients. stop() ends them
 * and returns how many garbage connections the server closed.
 */
async function startHostileClients(port: number): Promise<{ stop(): Promise<number> }> {
  const child = await startChild("hostile-clients.js", [port]);
  return {
    async stop() {
      const m = /garbage closed (\d+)/.exec(await child.stop());
      return m ? Number(m[1]) : 0;
    },
  };
}

export interface WriteFigures {
  batch: number;
  unloadedDocsPerSecond: number;
  loadedDocsPerSecond: number;
  ratio: number;
  loadConnections: number;
  loadSearches: number;
  /** The memtable's documents when each phase ended (flushes keeping up: at most a few thousand). */
  memtableDocsUnloaded: number;
  memtableDocsLoaded: number;
}

/**
 * Upsert throughput of one writer (batches of `batch` documents into a collection whose memtable
 * flushes every few thousand documents) unloaded, then while `loadConnections` connections
 * search back to back.
 */
export async function writeScenario(port: number, queries: QuerySource, k: number, seconds: number, seed: number, loadConnections = 64, batch = 100): Promise<WriteFigures> {
  const client = await SparseClient.connect({ port, timeoutMs: 120_000 });
  try {
    const writes = await client.createCollection("bench-writes", { durability: "batch", memtableMaxDocs: 2000 });
    let next = 0;
    const upsertFor = async (): Promise<{ docs: number; memtableDocs: number }> => {
      const end = performance.now() + seconds * 1000;
      let docs = 0;
      while (performance.now() < end) {
        const b = generateDocumentBatch(next, batch, { seed: seed + 3 });
        await writes.upsert(Array.from({ length: b.count }, (_, i) => ({ id: `w${next + i}`, vector: batchVector(b, i) })));
        next += batch;
        docs += batch;
      }
      return { docs, memtableDocs: Number((await writes.stats()).memtableDocs) };
    };
    const unloaded = await upsertFor();
    const load = await startBackgroundLoad(port, loadConnections, k, queries);
    await sleep(300);
    const loaded = await upsertFor();
    const done = await load.stop();
    await client.dropCollection("bench-writes");
    return {
      batch,
      unloadedDocsPerSecond: unloaded.docs / seconds,
      loadedDocsPerSecond: loaded.docs / seconds,
      ratio: loaded.docs / unloaded.docs,
      loadConnections,
      loadSearches: done.searches,
      memtableDocsUnloaded: unloaded.memtableDocs,
      memtableDocsLoaded: loaded.memtableDocs,
    };
  } finally {
    await client.close();
  }
}

function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
