import type { CollectionConfig } from "../database/collection-config.js";
import type { DeleteByFilter, DocumentInput, GetOptions, MetadataPatch, ScrolledDocument, ScrollPage, ScrollRequest, SearchHit, SearchHits, SearchRequest, StoredDocument } from "../requests.js";
import type { Filter } from "../filter.js";
import { checkScroll } from "../scroll-request.js";
import {
  checkDelete,
  checkDeleteByFilter,
  checkEncode,
  checkFilter,
  checkGetMany,
  checkId,
  checkInclude,
  checkMetadataPatch,
  checkSearch,
  checkUpsert,
  type CheckedDocument,
  type EncodeRole,
} from "../validate-request.js";
import type { EncodedText } from "../encode-text.js";
import { SparseVector } from "../sparse-vector.js";
import { Vocabulary } from "../vocabulary.js";
import { checkSearchBatch } from "../validate-search-batch.js";
import { denseToBinary } from "../dense/dense-input.js";
import { checkedSearchToWire } from "./search-wire.js";
import type { SparseClient } from "./sparse-client.js";

/** A collection on a server, with the methods of the library's Collection. */
export class RemoteCollection {
  private fetchedVocabulary: Promise<Vocabulary | undefined> | undefined;

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

  /** By ids, or with `{filter}` every document whose metadata matches; resolves to how many existed. */
  async delete(ids: string[]): Promise<number>;
  async delete(request: DeleteByFilter): Promise<number>;
  async delete(target: string[] | DeleteByFilter): Promise<number> {
    if (isFilterRequest(target)) {
      const filter = checkDeleteByFilter(target);
      return ((await this.client.request("delete", { collection: this.name, filter })) as { deleted: number }).deleted;
    }
    const checked = checkDelete(target);
    if (checked.length === 0) return 0;
    const r = (await this.client.request("delete", { collection: this.name, ids: checked })) as { deleted: number };
    return r.deleted;
  }

  async get(id: string, options: GetOptions = {}): Promise<StoredDocument | null> {
    const args: Record<string, unknown> = { collection: this.name, id: checkId(id, "get") };
    if (options?.include !== undefined) args.include = checkInclude(options.include, "get", { text: true });
    return documentFromWire(await this.client.request("get", args));
  }

  /** One page of the live documents in id order (the library's Collection.scroll, over the wire). */
  async scroll(request: ScrollRequest): Promise<ScrollPage> {
    const r = checkScroll(request);
    const args: Record<string, unknown> = { collection: this.name, limit: r.limit, withVectors: r.withVectors };
    if (r.cursor !== undefined) args.cursor = r.cursor;
    if (r.filter !== undefined) args.filter = r.filter;
    const page = (await this.client.request("scroll", args)) as { documents: WireDocument[]; nextCursor: string | null };
    return { documents: page.documents.map(scrolledFromWire), nextCursor: page.nextCursor };
  }

  /** The documents of `ids`, in request order, null for an id not found. */
  async getMany(ids: string[], options: GetOptions = {}): Promise<(StoredDocument | null)[]> {
    const args: Record<string, unknown> = { collection: this.name, ids: checkGetMany(ids) };
    if (options?.include !== undefined) args.include = checkInclude(options.include, "getMany", { text: true });
    return ((await this.client.request("getMany", args)) as unknown[]).map(documentFromWire);
  }

  async count(filter?: Filter): Promise<number> {
    const args: Record<string, unknown> = { collection: this.name };
    if (filter !== undefined && filter !== null) args.filter = checkFilter(filter, "count");
    return (await this.client.request("count", args)) as number;
  }

  /** Merges `patch` into the document's metadata (null removes a field); NOT_FOUND when the id has none. */
  async setMetadata(id: string, patch: MetadataPatch): Promise<void> {
    await this.client.request("setMetadata", { collection: this.name, id: checkId(id, "setMetadata"), patch: checkMetadataPatch(patch) });
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
    if (r.offset !== 0) args.offset = r.offset;
    if (r.scoreThreshold !== undefined) args.scoreThreshold = r.scoreThreshold;
    if (r.dense !== undefined) args.dense = denseToBinary(r.dense);
    if (r.fusion !== undefined) args.fusion = r.fusion;
    if (r.prefetch !== undefined) args.prefetch = r.prefetch;
    if (r.rerank !== undefined) args.rerank = r.rerank;
    if (request.include !== undefined && request.include !== null) args.include = r.include;
    return (await this.client.request("search", args)) as SearchHit[];
  }

  /** Several searches in one request (the server's searchBatch): the results in the order of the requests. */
  async searchBatch(requests: SearchRequest[]): Promise<SearchHits[]> {
    const checked = checkSearchBatch(requests, { vocabSize: ANY_TERM, keepTokens: true });
    return (await this.client.request("searchBatch", { collection: this.name, requests: checked.map(checkedSearchToWire) })) as SearchHit[][];
  }

  /** The server's encoding of a text as tokens (the library's Collection.encode). */
  async encode(text: string, options: { role?: EncodeRole } = {}): Promise<EncodedText> {
    const r = checkEncode(text, options);
    return (await this.client.request("encode", { collection: this.name, text: r.text, role: r.role })) as EncodedText;
  }

  /**
   * The server's vocabulary of this collection (the library's Collection.vocabulary), fetched
   * once and kept: a collection's vocabulary never changes. Undefined when it has none.
   */
  vocabulary(): Promise<Vocabulary | undefined> {
    this.fetchedVocabulary ??= this.client.request("vocabulary", { collection: this.name }).then((r) => {
      const tokens = (r as { tokens: string[] | null }).tokens;
      return tokens === null || tokens === undefined ? undefined : new Vocabulary(tokens);
    });
    // A failed fetch (a lost connection) is not kept: the next call asks again.
    this.fetchedVocabulary.catch(() => (this.fetchedVocabulary = undefined));
    return this.fetchedVocabulary;
  }

  /** Nothing to release on the client side; present so code written for the library runs unchanged. */
  async close(): Promise<void> {}
}

interface WireDocument {
  id: string;
  vector?: { terms: number[]; weights: number[] };
  metadata?: unknown;
  text?: string;
  dense?: number[];
}

/** A document of a scroll page (metadata nil comes back as null, as the library's scroll gives it). */
function scrolledFromWire(r: WireDocument): ScrolledDocument {
  const doc: ScrolledDocument = { id: r.id, metadata: r.metadata ?? null };
  if (r.vector !== undefined && r.vector !== null) doc.vector = SparseVector.fromArrays(r.vector.terms, r.vector.weights, { vocabSize: ANY_TERM });
  if (typeof r.text === "string") doc.text = r.text;
  if (Array.isArray(r.dense)) doc.dense = Float32Array.from(r.dense);
  return doc;
}

/** A document as `get`/`getMany` send it (metadata nil: none, left out here as the library leaves it). */
function documentFromWire(x: unknown): StoredDocument | null {
  if (x === null || x === undefined) return null;
  const r = x as { id: string; vector: { terms: number[]; weights: number[] }; metadata?: unknown; text?: string; dense?: number[] };
  const doc: StoredDocument = { id: r.id, vector: SparseVector.fromArrays(r.vector.terms, r.vector.weights, { vocabSize: 0xffffffff }) };
  if (r.metadata !== null && r.metadata !== undefined) doc.metadata = r.metadata;
  if (typeof r.text === "string") doc.text = r.text;
  if (Array.isArray(r.dense)) doc.dense = Float32Array.from(r.dense);
  return doc;
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
  if (d.dense !== undefined) out.dense = denseToBinary(d.dense);
  if (d.metadata !== null) out.metadata = d.metadata;
  return out;
}

/** delete's argument is `{filter}` when it is a map (anything else is checked as an array of ids). */
function isFilterRequest(x: unknown): x is DeleteByFilter {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !ArrayBuffer.isView(x);
}
