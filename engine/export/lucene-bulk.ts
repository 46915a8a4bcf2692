import { createHash } from "node:crypto";
import type { ScrolledDocument } from "../requests.js";
import type { ExportContext } from "./export-format.js";
import { DOT_REPLACEMENT, MIN_FEATURE_VALUE } from "./feature-names.js";
import { float32Text, foreignJson } from "./json-values.js";

/**
 * What OpenSearch and Elasticsearch share: the `_bulk` NDJSON body (an action line
 * `{"index": {"_index", "_id"}}`, then the source line, per document) and a mapping whose only
 * difference is the vector field's type (`rank_features` / `sparse_vector`).
 *
 * The source: `id` (the sparsedb id, keyword), the vector field (feature name -> weight, every
 * value a positive float), `text` when stored, `metadata` (an object, dynamically mapped).
 */

/** Elasticsearch and OpenSearch refuse an `_id` over 512 bytes. */
export const MAX_BULK_ID_BYTES = 512;

export function luceneMapping(vectorType: "rank_features" | "sparse_vector", ctx: ExportContext): unknown {
  return {
    mappings: {
      _meta: meta(ctx),
      properties: {
        id: { type: "keyword" },
        [ctx.vectorField]: { type: vectorType },
        text: { type: "text" },
        metadata: { type: "object" },
      },
    },
  };
}

/** What the mapping records about the export (the dot replacement queries must apply). */
export function meta(ctx: ExportContext): Record<string, unknown> {
  return {
    sparsedb: {
      collection: ctx.collection,
      featureNames: ctx.features.keys,
      ...(ctx.features.keys === "tokens" ? { dotReplacement: DOT_REPLACEMENT } : {}),
    },
  };
}

export function bulkLines(documents: ScrolledDocument[], ctx: ExportContext): string {
  let out = "";
  const index = JSON.stringify(ctx.target);
  const field = JSON.stringify(ctx.vectorField);
  for (const d of documents) {
    out += `{"index":{"_index":${index},"_id":${JSON.stringify(bulkId(d.id, ctx))}}}\n`;
    out += `{"id":${JSON.stringify(d.id)},${field}:${featureObject(d, ctx)}`;
    if (d.text !== undefined) out += `,"text":${JSON.stringify(d.text)}`;
    if (d.metadata !== null && d.metadata !== undefined) out += `,"metadata":${JSON.stringify(foreignJson(d.metadata))}`;
    out += "}\n";
  }
  return out;
}

/** The id itself, or for one over 512 bytes "sha256:" and its hex digest (the source keeps the id). */
function bulkId(id: string, ctx: ExportContext): string {
  if (Buffer.byteLength(id, "utf8") <= MAX_BULK_ID_BYTES) return id;
  ctx.notes.hashedIds++;
  return "sha256:" + createHash("sha256").update(id, "utf8").digest("hex");
}

/** `{"feature": weight, ...}`: weights in the fewest digits that give back their float32. */
export function featureObject(d: ScrolledDocument, ctx: ExportContext): string {
  const v = d.vector!;
  const parts: string[] = [];
  for (let i = 0; i < v.nnz; i++) {
    let w = v.weights[i]!;
    if (w < MIN_FEATURE_VALUE) {
      w = MIN_FEATURE_VALUE;
      ctx.notes.raisedWeights++;
    }
    parts.push(`${JSON.stringify(ctx.features.nameOf(v.terms[i]!))}:${float32Text(w)}`);
  }
  return `{${parts.join(",")}}`;
}
