import type { CollectionConfig } from "../database/collection-config.js";
import type { DocumentInput, SearchHit, SearchHits, SearchRequest, StoredDocument } from "../database/collection-store.js";
import { SparseDbError } from "../errors.js";
import { SparseVector } from "../sparse-vector.js";
import type { SparseClient } from "./sparse-client.js";

/** A collection on a server, with the methods of the library's DatabaseCollection. */
export class RemoteCollection {
  /** @internal made by SparseClient.collection / createCollection */
  constructor(
    private readonly client: SparseClient,
    readonly name: string,
    readonly config: CollectionConfig,
    readonly encoderDescription: string,
  ) {}

  async upsert(docs: DocumentInput[]): Promise<void> {
    if (!Array.isArray(docs)) throw new SparseDbError("INVALID_ARGUMENT", "upsert takes an array of documents [{id, vector | text, metadata?}]");
    if (docs.length === 0) return;
    await this.client.request("upsert", { collection: this.name, docs: docs.map(docToWire) });
  }

  async delete(ids: string[]): Promise<number> {
    const r = (await this.client.request("delete", { collection: this.name, ids })) as { deleted: number };
    return r.deleted;
  }

  async get(id: string): Promise<StoredDocument | null> {
    const r = (await this.client.request("get", { collection: this.name, id })) as { id: string; vector: { terms: number[]; weights: number[] }; metadata: unknown } | null;
    if (r === null) return null;
    const doc: StoredDocument = { id: r.id, vector: SparseVector.fromArrays(r.vector.terms, r.vector.weights, { vocabSize: 0xffffffff }) };
    if (r.metadata !== null && r.metadata !== undefined) doc.metadata = r.metadata;
    return doc;
  }

  async count(): Promise<number> {
    return (await this.client.request("count", { collection: this.name })) as number;
  }

  async stats(): Promise<Record<string, unknown>> {
    return (await this.client.request("stats", { collection: this.name })) as Record<string, unknown>;
  }

  async flush(): Promise<void> {
    await this.client.request("flush", { collection: this.name });
  }

  /** Resolves once every write the server acknowledged for this collection is on its disk (log fsynced). */
  async sync(): Promise<void> {
    await this.client.request("sync", { collection: this.name });
  }

  /** Hits as the server sends them; the wire reply is a plain array, so no expectedRecall (PROTOCOL.md). */
  async search(request: SearchRequest): Promise<SearchHits> {
    const args: Record<string, unknown> = { collection: this.name, k: request.k };
    if (request.vector !== undefined) args.vector = vectorToWire(request.vector);
    if (request.text !== undefined) args.text = request.text;
    if (request.mode !== undefined) args.mode = request.mode;
    if (request.recall !== undefined) args.recall = request.recall;
    if (request.algorithm !== undefined) args.algorithm = request.algorithm;
    if (request.filter !== undefined) args.filter = request.filter;
    if (request.explain !== undefined) args.explain = request.explain;
    return (await this.client.request("search", args)) as SearchHit[];
  }

  /** Nothing to release on the client side; present so code written for the library runs unchanged. */
  async close(): Promise<void> {}
}

function vectorToWire(v: SparseVector | Record<string, number>): unknown {
  // Typed arrays go out as they are: terms as integers, weights as float64 (see PROTOCOL.md).
  return v instanceof SparseVector ? { terms: v.terms, weights: v.weights } : v;
}

function docToWire(d: DocumentInput): Record<string, unknown> {
  const out: Record<string, unknown> = { id: d.id };
  if (d.vector !== undefined) out.vector = vectorToWire(d.vector);
  if (d.text !== undefined) out.text = d.text;
  if (d.metadata !== undefined) out.metadata = d.metadata;
  return out;
}
