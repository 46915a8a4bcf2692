import type { Database } from "../database.js";
import type { Collection } from "../collection.js";
import { withConfigDefaults } from "../database/collection-config.js";
import { checkSearch, checkUpsert, type RequestContext } from "../validate-request.js";
import type { ServerLimits } from "./limits.js";
import { DOCUMENT_OPERATIONS } from "./operations-documents.js";
import { hitsToWire, requireMap, requireString, toWire } from "./wire-values.js";
import { SCROLL_OPERATIONS } from "./operations-scroll.js";
import { SEARCH_OPERATIONS } from "./operations-search.js";
import { ENCODE_OPERATIONS } from "./operations-encode.js";

/** Protocol version reported by `ping`; bumped on an incompatible change. */
export const PROTOCOL_VERSION = 1;

export interface OperationContext {
  db: Database;
  limits: ServerLimits;
  serverStats(): Record<string, unknown>;
}

export type Handler = (args: Record<string, unknown>, ctx: OperationContext) => Promise<unknown>;

async function collectionArg(args: Record<string, unknown>, ctx: OperationContext): Promise<Collection> {
  return ctx.db.collection(requireString(args, "collection", 64));
}

/**
 * What the server adds to the library's request rules (engine/validate-request.ts, which the
 * collection applies again): its configurable limits, checked once the request has passed
 * every rule, so a request the library refuses gets the library's error here too.
 */
function requestContext(c: Collection, ctx: OperationContext): RequestContext {
  return {
    vocabSize: c.vocabularySize,
    vocabulary: c.encoder?.vocabulary,
    dense: c.denseContext,
    limits: { maxK: ctx.limits.maxK, maxVectorTerms: ctx.limits.maxVectorTerms, maxBatch: ctx.limits.maxBatchDocs, owner: "this server" },
  };
}

/** createCollection's and describeCollection's result: the config with every default filled in. */
function describe(c: Collection): unknown {
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
    const docs = checkUpsert(args.docs, requestContext(c, ctx));
    await c.upsert(docs.map(({ metadata, ...d }) => (metadata === null ? d : { ...d, metadata })));
    return { upserted: docs.length };
  },

  // get, getMany, count, delete, setMetadata
  ...DOCUMENT_OPERATIONS,

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
    const { collection: _name, ...request } = args;
    return hitsToWire(await c.search(checkSearch(request, requestContext(c, ctx))));
  },

  ...SCROLL_OPERATIONS,
  ...SEARCH_OPERATIONS,
  ...ENCODE_OPERATIONS,
};
