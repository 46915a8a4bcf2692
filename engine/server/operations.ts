import type { Database } from "../database.js";
import type { DatabaseCollection } from "../database/database-collection.js";
import type { DocumentInput, SearchRequest } from "../database/collection-store.js";
import { withConfigDefaults } from "../database/collection-config.js";
import { SparseDbError } from "../errors.js";
import type { Filter } from "../filter.js";
import type { ServerLimits } from "./limits.js";
import { bad, hitsToWire, isMap, optionalBoolean, requireMap, requireString, toWire, vectorFromWire } from "./wire-values.js";

/** Protocol version reported by `ping`; bumped on an incompatible change. */
export const PROTOCOL_VERSION = 1;

export interface OperationContext {
  db: Database;
  limits: ServerLimits;
  serverStats(): Record<string, unknown>;
}

type Handler = (args: Record<string, unknown>, ctx: OperationContext) => Promise<unknown>;

async function collectionArg(args: Record<string, unknown>, ctx: OperationContext): Promise<DatabaseCollection> {
  return ctx.db.collection(requireString(args, "collection", 64));
}

function docFromWire(x: unknown, i: number, ctx: OperationContext, vocabSize?: number): DocumentInput {
  const path = `args.docs[${i}]`;
  const d = requireMap(x, path);
  if (typeof d.id !== "string" || d.id.length === 0) throw bad(`${path}.id must be a non-empty string`);
  const doc: DocumentInput = { id: d.id };
  if (d.vector !== undefined && d.vector !== null) doc.vector = vectorFromWire(d.vector, `${path}.vector`, "document", ctx.limits.maxVectorTerms, vocabSize);
  if (d.text !== undefined && d.text !== null) {
    if (typeof d.text !== "string") throw bad(`${path}.text must be a string`);
    doc.text = d.text;
  }
  if (doc.vector === undefined && doc.text === undefined) throw bad(`${path} needs a vector or a text`);
  if (d.metadata !== undefined && d.metadata !== null) doc.metadata = requireMap(d.metadata, `${path}.metadata`);
  return doc;
}

function batchArray(args: Record<string, unknown>, key: string, ctx: OperationContext): unknown[] {
  const v = args[key];
  if (!Array.isArray(v)) throw bad(`args.${key} must be an array`);
  if (v.length > ctx.limits.maxBatchDocs) {
    throw new SparseDbError("LIMIT_EXCEEDED", `args.${key} has ${v.length} entries; this server accepts at most ${ctx.limits.maxBatchDocs} per request: split it`);
  }
  return v;
}

/** createCollection's and describeCollection's result: the config with every default filled in. */
function describe(c: DatabaseCollection): unknown {
  return toWire({ name: c.name, config: withConfigDefaults(c.config), encoder: c.encoderDescription });
}

export const OPERATIONS: Record<string, Handler> = {
  async ping() {
    return { pong: true, protocol: PROTOCOL_VERSION };
  },

  async listCollections(_args, ctx) {
    return toWire(ctx.db.listCollections().map((c) => ({ ...c, config: withConfigDefaults(c.config) })));
  },

  async createCollection(args, ctx) {
    const name = requireString(args, "name", 64);
    const config = args.config === undefined || args.config === null ? {} : requireMap(args.config, "args.config");
    return describe(await ctx.db.createCollection(name, config));
  },

  async describeCollection(args, ctx) {
    return describe(await collectionArg(args, ctx));
  },

  async dropCollection(args, ctx) {
    await ctx.db.dropCollection(requireString(args, "name", 64));
    return { dropped: true };
  },

  async upsert(args, ctx) {
    const c = await collectionArg(args, ctx);
    const docs = batchArray(args, "docs", ctx).map((d, i) => docFromWire(d, i, ctx, c.vocabularySize));
    await c.upsert(docs);
    return { upserted: docs.length };
  },

  async delete(args, ctx) {
    const c = await collectionArg(args, ctx);
    const ids = batchArray(args, "ids", ctx);
    ids.forEach((id, i) => {
      if (typeof id !== "string") throw bad(`args.ids[${i}] must be a string`);
    });
    return { deleted: await c.delete(ids as string[]) };
  },

  async get(args, ctx) {
    const c = await collectionArg(args, ctx);
    const doc = await c.get(requireString(args, "id"));
    return doc === null ? null : toWire({ id: doc.id, vector: doc.vector, metadata: doc.metadata ?? null });
  },

  async count(args, ctx) {
    return (await collectionArg(args, ctx)).count();
  },

  async stats(args, ctx) {
    if (args.collection === undefined || args.collection === null) return toWire(ctx.serverStats());
    return toWire(await (await collectionArg(args, ctx)).stats());
  },

  async flush(args, ctx) {
    await (await collectionArg(args, ctx)).flush();
    return { flushed: true };
  },

  async sync(args, ctx) {
    if (args.collection === undefined || args.collection === null) await ctx.db.sync();
    else await (await collectionArg(args, ctx)).sync();
    return { synced: true };
  },

  async search(args, ctx) {
    const c = await collectionArg(args, ctx);
    const k = args.k;
    if (typeof k !== "number" || !Number.isInteger(k) || k < 1) throw bad("args.k must be a positive integer");
    if (k > ctx.limits.maxK) throw new SparseDbError("LIMIT_EXCEEDED", `args.k is ${k}; this server returns at most ${ctx.limits.maxK} hits`);
    const req: SearchRequest = { k };
    if (args.vector !== undefined && args.vector !== null) req.vector = vectorFromWire(args.vector, "args.vector", "query", ctx.limits.maxVectorTerms, c.vocabularySize);
    if (args.text !== undefined && args.text !== null) req.text = requireString(args, "text");
    if ((req.vector === undefined) === (req.text === undefined)) throw bad("search needs exactly one of args.vector and args.text");
    if (args.mode !== undefined && args.mode !== null) {
      if (args.mode !== "exact" && args.mode !== "fast" && args.mode !== "approximate") throw bad(`args.mode must be "exact", "fast" or "approximate"`);
      req.mode = args.mode;
    }
    // Checked by the collection (engine/search/approximate-options.ts), like the library's.
    if (args.recall !== undefined && args.recall !== null) req.recall = args.recall as number;
    if (args.algorithm !== undefined && args.algorithm !== null) req.algorithm = requireString(args, "algorithm", 64);
    if (args.filter !== undefined && args.filter !== null) {
      if (!isMap(args.filter)) throw bad("args.filter must be a map (see the filter language)");
      req.filter = args.filter as Filter;
    }
    const explain = optionalBoolean(args, "explain");
    if (explain !== undefined) req.explain = explain;
    return hitsToWire(await c.search(req));
  },
};
