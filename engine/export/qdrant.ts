import { createHash } from "node:crypto";
import type { ScrolledDocument } from "../requests.js";
import type { ExportContext, ExportFormat } from "./export-format.js";
import { float32Text, foreignJson } from "./json-values.js";

/**
 * Qdrant sparse vectors: the collection definition (PUT /collections/NAME) has one named sparse
 * vector; every output line is the body of one `PUT /collections/NAME/points` request,
 * `{"points": [{id, vector: {NAME: {indices, values}}, payload}]}`, one line per batch.
 * Indices are term ids (Qdrant's sparse indices are u32), values the float32 weights.
 *
 * Qdrant point ids are unsigned integers or UUIDs, so a sparsedb id becomes: the number, when it
 * is a canonical decimal integer up to 2^53 - 1; itself, when it is a lowercase hyphenated UUID;
 * otherwise a name-based UUID (version 5 layout, SHA-1 of POINT_ID_NAMESPACE and the id). The
 * payload always holds the sparsedb id as `id`, beside `metadata` and `text` (when stored).
 */
export const POINT_ID_NAMESPACE = "6f9d3c1e-2b7a-5d4e-9c1f-8a0b3e5d7c21";

const CANONICAL_INTEGER = /^(0|[1-9][0-9]{0,15})$/;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function qdrantPointId(id: string, ctx?: ExportContext): number | string {
  if (CANONICAL_INTEGER.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER) return Number(id);
  if (CANONICAL_UUID.test(id)) return id;
  if (ctx) ctx.notes.hashedIds++;
  const namespace = Buffer.from(POINT_ID_NAMESPACE.replace(/-/g, ""), "hex");
  const h = createHash("sha1").update(namespace).update(id, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x50; // version 5
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function point(d: ScrolledDocument, ctx: ExportContext): string {
  const v = d.vector!;
  const values: string[] = [];
  for (let i = 0; i < v.nnz; i++) values.push(float32Text(v.weights[i]!));
  const payload: Record<string, unknown> = { id: d.id };
  if (d.metadata !== null && d.metadata !== undefined) payload.metadata = foreignJson(d.metadata);
  if (d.text !== undefined) payload.text = d.text;
  return `{"id":${JSON.stringify(qdrantPointId(d.id, ctx))},"vector":{${JSON.stringify(ctx.vectorField)}:{"indices":[${Array.from(v.terms).join(",")}],"values":[${values.join(",")}]}},"payload":${JSON.stringify(payload)}}`;
}

export const qdrantFormat: ExportFormat = {
  name: "qdrant",
  summary: "Qdrant: one PUT /collections/NAME/points body {\"points\": [...]} per line, a named sparse vector",
  // No dense vectors; no `modifier`: Qdrant then scores by the plain dot product, as sparsedb does.
  definition: (ctx) => ({ vectors: {}, sparse_vectors: { [ctx.vectorField]: {} } }),
  encode: (documents, ctx) => (documents.length === 0 ? "" : `{"points":[${documents.map((d) => point(d, ctx)).join(",")}]}\n`),
};
