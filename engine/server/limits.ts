import { SparseDbError } from "../errors.js";

/** Server limits; every one can be set by the operator (see PROTOCOL.md, "Limits"). */
export interface ServerLimits {
  /** Largest frame body in bytes; a larger header closes the connection. */
  maxFrameBytes: number;
  /** Most non-zero terms in one vector (document or query). */
  maxVectorTerms: number;
  /** Largest `k` of a search. */
  maxK: number;
  /** Most documents in one upsert, ids in one delete. */
  maxBatchDocs: number;
  /** Most queries in one searchBatch. */
  maxBatchQueries: number;
  /** Most simultaneous connections; one more is told LIMIT_EXCEEDED and closed. */
  maxConnections: number;
  /** Most requests of one connection being worked on at once; beyond it the server stops reading that connection until replies go out. */
  maxInFlightPerConnection: number;
  /** On a server with a token, a connection not authenticated within this many ms is closed (so idle strangers cannot hold connection slots). */
  authTimeoutMs: number;
  /** On a server with a token, the largest frame body a connection may send before it has authenticated. */
  maxUnauthenticatedFrameBytes: number;
  /** The first failed `auth` from a peer address waits this many ms before its reply and close; each further failure within 10 minutes doubles the wait. */
  authFailureDelayMs: number;
  /** The wait after a failed `auth` never exceeds this many ms. */
  authFailureMaxDelayMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxVectorTerms: 4096,
  maxK: 1000,
  maxBatchDocs: 10_000,
  maxBatchQueries: 1000,
  maxConnections: 256,
  maxInFlightPerConnection: 64,
  authTimeoutMs: 10_000,
  maxUnauthenticatedFrameBytes: 64 * 1024,
  authFailureDelayMs: 100,
  authFailureMaxDelayMs: 10_000,
};

export function resolveLimits(partial: Partial<ServerLimits> = {}): ServerLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_LIMITS)) throw new SparseDbError("INVALID_ARGUMENT", `unknown server limit "${k}"; known: ${Object.keys(DEFAULT_LIMITS).join(", ")}`);
    if (!(typeof v === "number" && Number.isInteger(v) && v > 0)) {
      throw new SparseDbError("INVALID_ARGUMENT", `server limit ${k} is ${String(v)}; use a positive integer`);
    }
    (out as Record<string, number>)[k] = v;
  }
  if (out.maxFrameBytes > 0xffffffff) throw new SparseDbError("INVALID_ARGUMENT", "maxFrameBytes must fit in a u32");
  return out;
}
