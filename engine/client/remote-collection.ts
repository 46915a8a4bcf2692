import type { CollectionConfig } from "../database/collection-config.js";
import type { DocumentInput, SearchHit, SearchHits, SearchRequest, StoredDocument } from "../requests.js";
import { checkDelete, checkEncode, checkId, checkSearch, checkUpsert, type CheckedDocument, type EncodeRole } from "../validate-request.js";
import type { EncodedText } from "../encode-text.js";
import { SparseVector } from "../sparse-vector.js";
import type { SparseClient } from "./sparse-client.js";

/** A collection on a server, with the methods of the library's Collection. */
export class RemoteCollection {
  /** @internal made by SparseClient.collection / createCollection */
  constructor(
    private readonly client: SparseClient,
    readonly name: string,
    readonly config: CollectionConfig,
    readonly encoderDescription: string,
  ) {}

  // Requests are checked here by the library's rules (engine/validate-request.ts) before they are
  // sent, so a bad one fails as it would in the library; the server checks them again and adds
  // its own limits. The vocabulary is the server's to check (token-keyed vectors go as tokens).

  async upsert(docs: DocumentInput[]): Promise<void> {
    const checked = checkUpsert(docs, { vocabSize: ANY_TERM, keepTokens: true });
    if (checked.length === 0) return;
    await this.client.request("upsert", { collection: this.name, docs: checked.map(docToWire) });
  }

  async delete(ids: string[]): Promise<number> {
    const checked = checkDelete(ids);
    if (checked.length === 0) return 0;
    const r = (await this.client.request("delete", { collection: this.name, ids: checked })) as { deleted: number };
    return r.deleted;
  }

  async get(id: string): Promise<StoredDocument | null> {
    const r = (await this.client.request("get", { collection: this.name, id: checkId(id, "get") })) as { id: string; vector: { terms: number[]; weights: number[] }; metadata: unknown } | null;
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

  /** Hits as the server sends them: a plain array on the wire, so no expectedRecall (PROTOCOL.md). */
  async search(request: SearchRequest): Promise<SearchHits> {
    const r = checkSearch(request, { vocabSize: ANY_TERM, keepTokens: true });
    const args: Record<string, unknown> = { collection: this.name, k: r.k, mode: r.mode, explain: r.explain };
    if (r.vector !== undefined) args.vector = vectorToWire(r.vector);
    if (r.tokens !== undefined) args.vector = { tokens: r.tokens };
    if (r.text !== undefined) args.text = r.text;
    if (r.algorithm !== undefined) args.algorithm = r.algorithm;
    if (r.recall !== undefined) args.recall = r.recall;
    if (r.filter !== undefined) args.filter = r.filter;
    return (await this.client.request("search", args)) as SearchHit[];
  }

  /** The server's encoding of a text as tokens (the library's Collection.encode). */
  async encode(text: string, options: { role?: EncodeRole } = {}): Promise<EncodedText> {
    const r = checkEncode(text, options);
    return (await this.client.request("encode", { collection: this.name, text: r.text, role: r.role })) as EncodedText;
  }

  /** Nothing to release on the client side; present so code written for the library runs unchanged. */
  async close(): Promise<void> {}
}

/** Term ids are checked against the collection's vocabulary by the server. */
const ANY_TERM = 0xffffffff;

function vectorToWire(v: SparseVector): unknown {
  // Typed arrays go out as they are: terms as integers, weights as float64 (see PROTOCOL.md).
  return { terms: v.terms, weights: v.weights };
}

function docToWire(d: CheckedDocument): Record<string, unknown> {
  const out: Record<string, unknown> = { id: d.id };
  if (d.vector !== undefined) out.vector = vectorToWire(d.vector);
  if (d.tokens !== undefined) out.vector = { tokens: d.tokens };
  if (d.text !== undefined) out.text = d.text;
  if (d.metadata !== null) out.metadata = d.metadata;
  return out;
}
