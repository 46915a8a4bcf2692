import { SparseDbError } from "./errors.js";
import { compileFilter, type Filter } from "./filter.js";
import type { ScrollRequest } from "./requests.js";
import { typeName } from "./type-name.js";
import { checkId, type RequestLimits } from "./validate-request.js";

/**
 * The rules of a scroll request (Collection.scroll, the wire's `scroll`, RemoteCollection) and
 * the cursor's encoding. A cursor is the last id a page returned, opaque to users: "s1." and the
 * id's UTF-16 code units (little-endian) in base64url, so any id, lone surrogates included,
 * comes back exactly, and a cursor is plain ASCII on every transport.
 */

/** The most documents one scroll page returns. */
export const MAX_SCROLL_LIMIT = 10_000;

const CURSOR_PREFIX = "s1.";
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export interface CheckedScroll {
  limit: number;
  /** The id the page starts after (decoded cursor); undefined: from the first id. */
  after?: string;
  cursor?: string;
  filter?: Filter;
  withVectors: boolean;
}

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", message);
}

function absent(x: unknown): boolean {
  return x === undefined || x === null;
}

/** The cursor of the page after the one that ended with `lastId`. */
export function encodeCursor(lastId: string): string {
  const bytes = Buffer.alloc(lastId.length * 2);
  for (let i = 0; i < lastId.length; i++) bytes.writeUInt16LE(lastId.charCodeAt(i), i * 2);
  return CURSOR_PREFIX + bytes.toString("base64url");
}

/** The id a cursor stands for; INVALID_ARGUMENT for anything a scroll did not return. */
export function decodeCursor(cursor: unknown): string {
  const what = "scroll: cursor";
  const fix = "pass a page's nextCursor unchanged, or leave cursor out to start from the first document";
  if (typeof cursor !== "string") throw bad(`${what} must be a string (a page's nextCursor), got ${typeName(cursor)}; ${fix}`);
  const shown = cursor.length > 40 ? JSON.stringify(cursor.slice(0, 40)) + "..." : JSON.stringify(cursor);
  const body = cursor.slice(CURSOR_PREFIX.length);
  if (!cursor.startsWith(CURSOR_PREFIX) || !BASE64URL.test(body) || body.length % 4 === 1) {
    throw bad(`${what} ${shown} is not a cursor sparsedb made; ${fix}`);
  }
  const bytes = Buffer.from(body, "base64url");
  if (bytes.length === 0 || bytes.length % 2 !== 0 || bytes.toString("base64url") !== body) {
    throw bad(`${what} ${shown} is not a cursor sparsedb made; ${fix}`);
  }
  let id = "";
  for (let i = 0; i < bytes.length; i += 2) id += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  try {
    return checkId(id, what);
  } catch {
    throw bad(`${what} ${shown} is not a cursor sparsedb made; ${fix}`);
  }
}

/** Checks a scroll request; `limits.maxBatch` (a server's maxBatchDocs) caps `limit` as LIMIT_EXCEEDED. */
export function checkScroll(request: unknown, limits?: RequestLimits): CheckedScroll {
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    throw bad(`scroll takes an object {limit, cursor?, filter?, withVectors?}, got ${typeName(request)}`);
  }
  const r = request as Record<string, unknown> & Partial<ScrollRequest>;
  if (typeof r.limit !== "number") throw bad(`scroll: limit must be a number, got ${typeName(r.limit)}`);
  if (!Number.isInteger(r.limit) || r.limit < 1 || r.limit > MAX_SCROLL_LIMIT) {
    throw bad(`scroll: limit must be an integer in 1..${MAX_SCROLL_LIMIT}, got ${r.limit}`);
  }
  const out: CheckedScroll = { limit: r.limit, withVectors: true };
  if (!absent(r.cursor)) {
    out.after = decodeCursor(r.cursor);
    out.cursor = r.cursor as string;
  }
  if (!absent(r.filter)) {
    if (r.filter === null || typeof r.filter !== "object" || Array.isArray(r.filter)) throw bad(`scroll: filter must be a map (see the filter language), got ${typeName(r.filter)}`);
    compileFilter(r.filter as Filter); // throws INVALID_ARGUMENT naming the bad part
    out.filter = r.filter as Filter;
  }
  if (!absent(r.withVectors)) {
    if (typeof r.withVectors !== "boolean") throw bad(`scroll: withVectors must be a boolean, got ${typeName(r.withVectors)}`);
    out.withVectors = r.withVectors;
  }
  if (limits?.maxBatch !== undefined && out.limit > limits.maxBatch) {
    throw new SparseDbError("LIMIT_EXCEEDED", `scroll: limit is ${out.limit}; ${limits.owner ?? "this server"} returns at most ${limits.maxBatch} documents a page`);
  }
  return out;
}
