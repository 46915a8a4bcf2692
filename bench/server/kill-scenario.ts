import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SparseClient } from "../../engine/client/sparse-client.js";
import type { RemoteCollection } from "../../engine/client/remote-collection.js";
import type { SparseDbError } from "../../engine/errors.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { startServer, type ServerProcess } from "./serve-process.js";

/**
 * The kill scenario of `npm run bench -- server` (issue "The server under load and attack"):
 * `sparsedb serve` with a token on a fresh folder, `connections` clients doing mixed upserts
 * (distinct ids, vectors that follow from the id) and searches for `seconds`, then SIGKILL while
 * requests are in flight, a restart on the same folder, and a check that every acknowledged
 * upsert is there with exactly its vector. A request failed by the lost connection (UNAVAILABLE)
 * after the kill is expected (it may or may not have been applied); any other error is not.
 */
export interface KillOptions {
  connections: number;
  seconds: number;
  /** Documents per upsert request (default 10). */
  batch?: number;
  /** Share of requests that are upserts, the rest searches (default 0.5). */
  upsertShare?: number;
  seed?: number;
  /** The collection's memtable limit, so that flushes run during the scenario (default 5000). */
  memtableMaxDocs?: number;
}

export interface KillFigures {
  connections: number;
  seconds: number;
  batch: number;
  upsertRequests: number;
  searches: number;
  /** Documents whose upsert was acknowledged, all checked after the restart. */
  acknowledged: number;
  /** Acknowledged documents missing after the restart. */
  lost: number;
  /** Acknowledged documents present with another vector. */
  wrongVector: number;
  /** Error replies, and failures other than the connection lost to the kill. */
  unexpectedErrors: number;
  /** The first few of them, for the report. */
  unexpectedErrorSamples: string[];
  /** Requests in flight when the server was killed, failed by the lost connection. */
  cutByKill: number;
  /** Documents after the restart (acknowledged, plus cut upserts that were applied). */
  docsAfterRestart: number;
  restartMs: number;
  met: boolean;
}

const TOKEN = "bench-kill-scenario-token";
const TERMS_PER_DOC = 16;
const VOCAB = 30_000;

/** The vector of document `conn`/`seq`, the same every time (a hash-seeded generator). */
export function killDocVector(conn: number, seq: number): SparseVector {
  let s = (Math.imul(conn + 1, 0x9e3779b1) ^ Math.imul(seq + 1, 0x85ebca77)) >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const terms = new Set<number>();
  while (terms.size < TERMS_PER_DOC) terms.add(Math.floor(next() * VOCAB));
  const sorted = [...terms].sort((a, b) => a - b);
  return SparseVector.fromArrays(sorted, sorted.map(() => Math.fround(0.05 + 3 * next())));
}

const docId = (conn: number, seq: number): string => `k${conn}-${seq}`;

export async function killScenario(options: KillOptions): Promise<KillFigures> {
  const { connections, seconds } = options;
  const batch = options.batch ?? 10;
  const upsertShare = options.upsertShare ?? 0.5;
  let rand = (options.seed ?? 7) >>> 0;
  const random = (): number => ((rand = (Math.imul(rand, 1103515245) + 12345) >>> 0) / 4294967296);
  const dir = await mkdtemp(join(tmpdir(), "sparsedb-bench-kill-"));
  let server: ServerProcess | undefined;
  const clients: SparseClient[] = [];
  try {
    server = await startServer(dir, [], TOKEN);
    // No reconnection: after the kill, a request must fail, not wait for a server that is gone.
    const connect = (port: number) => SparseClient.connect({ port, token: TOKEN, timeoutMs: 60_000, reconnectRetries: 0 });
    const setup = await connect(server.port);
    await setup.createCollection("kill", { memtableMaxDocs: options.memtableMaxDocs ?? 5000 });
    await setup.close();
    for (let i = 0; i < connections; i++) clients.push(await connect(server.port));
    const collections = await Promise.all(clients.map((c) => c.collection("kill")));

    let killed = false, upsertRequests = 0, searches = 0, unexpectedErrors = 0, cutByKill = 0;
    const samples: string[] = [];
    const acked: number[] = new Array(connections).fill(0); // per connection: documents 0..acked-1 acknowledged
    const loop = async (c: RemoteCollection, conn: number): Promise<void> => {
      let seq = 0;
      while (!killed) {
        const upsert = random() < upsertShare;
        try {
          if (upsert) {
            await c.upsert(Array.from({ length: batch }, (_, i) => ({ id: docId(conn, seq + i), vector: killDocVector(conn, seq + i) })));
            seq += batch;
            acked[conn] = seq; // one request in flight per connection: all before it are acknowledged too
            upsertRequests++;
          } else {
            await c.search({ vector: killDocVector(conn + 100_000, searches), k: 10 });
            searches++;
          }
        } catch (e) {
          // Only the lost connection (UNAVAILABLE) is the kill's doing; any other error reply is not.
          if (killed && (e as SparseDbError).code === "UNAVAILABLE") {
            cutByKill++;
            return;
          }
          unexpectedErrors++;
          if (samples.length < 5) samples.push(`${upsert ? "upsert" : "search"}: ${(e as Error).message}`);
        }
      }
    };
    const loops = collections.map((c, conn) => loop(c, conn));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    // SIGKILL with every connection's request in flight; acknowledgements that still arrive count.
    killed = true;
    await server.kill();
    server = undefined;
    await Promise.all(loops);
    await Promise.all(clients.map((c) => c.close()));

    const restartStarted = performance.now();
    server = await startServer(dir, [], TOKEN);
    const checker = await connect(server.port);
    const restartMs = performance.now() - restartStarted;
    let lost = 0, wrongVector = 0, acknowledged = 0;
    try {
      const col = await checker.collection("kill");
      const ids: [number, number][] = [];
      for (let conn = 0; conn < connections; conn++) for (let seq = 0; seq < acked[conn]!; seq++) ids.push([conn, seq]);
      acknowledged = ids.length;
      for (let at = 0; at < ids.length; at += 1000) {
        const part = ids.slice(at, at + 1000);
        const docs = await col.getMany(part.map(([conn, seq]) => docId(conn, seq)));
        docs.forEach((d, i) => {
          if (d === null) lost++;
          else if (!sameVector(d.vector, killDocVector(part[i]![0], part[i]![1]))) wrongVector++;
        });
      }
      const docsAfterRestart = await col.count();
      return {
        connections, seconds, batch, upsertRequests, searches, acknowledged, lost, wrongVector, unexpectedErrors, unexpectedErrorSamples: samples, cutByKill, docsAfterRestart, restartMs,
        met: lost === 0 && wrongVector === 0 && unexpectedErrors === 0 && docsAfterRestart >= acknowledged,
      };
    } finally {
      await checker.close();
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function sameVector(a: SparseVector, b: SparseVector): boolean {
  if (a.terms.length !== b.terms.length) return false;
  for (let i = 0; i < a.terms.length; i++) if (a.terms[i] !== b.terms[i] || a.weights[i] !== b.weights[i]) return false;
  return true;
}
