import type { Collection } from "../collection.js";
import { SparseDbError } from "../errors.js";
import type { StoredDocument } from "../requests.js";
import { checkDelete, checkDeleteByFilter, checkFilter, checkGetMany, checkId, checkInclude, checkMetadataPatch, type RequestLimits } from "../validate-request.js";
import type { OperationContext } from "./operations.js";
import { requireString, toWire } from "./wire-values.js";

type Handler = (args: Record<string, unknown>, ctx: OperationContext) => Promise<unknown>;

/**
 * The document operations of the protocol (PROTOCOL.md, "Operations"): get and getMany with
 * `include`, count with an optional filter, delete by ids or by filter, setMetadata. Each checks
 * its arguments by the library's rules (engine/validate-request.ts) and the server's batch
 * limit, then calls the library's Collection, which checks them again.
 */
export const DOCUMENT_OPERATIONS: Record<string, Handler> = {
  async get(args, ctx) {
    const c = await collectionArg(args, ctx);
    const id = checkId(args.id, "get");
    const include = checkInclude(args.include, "get", { text: true });
    return documentToWire(await c.get(id, { include }));
  },

  async getMany(args, ctx) {
    const c = await collectionArg(args, ctx);
    const ids = checkGetMany(args.ids, batchLimits(ctx));
    const include = checkInclude(args.include, "getMany", { text: true });
    return (await c.getMany(ids, { include })).map(documentToWire);
  },

  async count(args, ctx) {
    const c = await collectionArg(args, ctx);
    if (args.filter === undefined || args.filter === null) return c.count();
    return c.count(checkFilter(args.filter, "count"));
  },

  async delete(args, ctx) {
    const c = await collectionArg(args, ctx);
    const hasIds = args.ids !== undefined && args.ids !== null, hasFilter = args.filter !== undefined && args.filter !== null;
    if (hasIds && hasFilter) throw new SparseDbError("INVALID_ARGUMENT", "delete: give ids or filter, not both");
    if (hasFilter) return { deleted: await c.delete({ filter: checkDeleteByFilter({ filter: args.filter }) }) };
    return { deleted: await c.delete(checkDelete(args.ids, batchLimits(ctx))) };
  },

  async setMetadata(args, ctx) {
    const c = await collectionArg(args, ctx);
    await c.setMetadata(checkId(args.id, "setMetadata"), checkMetadataPatch(args.patch));
    return { updated: true };
  },
};

async function collectionArg(args: Record<string, unknown>, ctx: OperationContext): Promise<Collection> {
  return ctx.db.collection(requireString(args, "collection", 64));
}

function batchLimits(ctx: OperationContext): RequestLimits {
  return { maxBatch: ctx.limits.maxBatchDocs, owner: "this server" };
}

/** A document on the wire: {id, vector, metadata?, text?} (metadata nil when it has none), or nil. */
function documentToWire(doc: StoredDocument | null): unknown {
  if (doc === null) return null;
  const out: Record<string, unknown> = { id: doc.id, vector: doc.vector };
  if ("metadata" in doc) out.metadata = doc.metadata ?? null;
  if (doc.text !== undefined) out.text = doc.text;
  if (doc.dense !== undefined) out.dense = doc.dense; // an array of float64 (exactly the float32 values)
  return toWire(out);
}
