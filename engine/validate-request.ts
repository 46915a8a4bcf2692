import { approximateRecall } from "./search/approximate-options.js";
import { SparseDbError } from "./errors.js";
import { compileFilter, type Filter } from "./filter.js";
import { checkSearchOptions } from "./search-options.js";
import { checkHybridOptions, type CheckedFusion, type RerankBy } from "./hybrid-search-options.js";
import { checkDenseVector } from "./dense/dense-input.js";
import type { SearchMode, SearchRequest } from "./requests.js";
import { checkAlgorithm, DEFAULT_MAX_K, type AlgorithmName } from "./search/search.js";
import { SparseVector } from "./sparse-vector.js";
import { typeName } from "./type-name.js";
import { BERT_VOCAB_SIZE } from "./vocabulary.js";

export { typeName };

/**
 * The one place requests are checked. The library's Collection, the storage-level collection,
 * the server's operations, the TCP client (before sending) and the CLI all call these functions,
 * so the same bad request gets the same error code and message through every entry point. A
 * server adds only its own limits (`RequestLimits`), checked once the request has passed every
 * rule here (so a request the library refuses gets the library's error from a server too) and
 * reported as LIMIT_EXCEEDED.
 *
 * Rules (README "Requests", PROTOCOL.md): null counts as absent; unknown fields are ignored
 * (PROTOCOL.md's forward-compatibility rule); a document or a query gives exactly one of vector
 * and text; ids are strings of 1..MAX_ID_LENGTH characters; k is an integer in 1..MAX_K;
 * metadata is a map of plain data without cycles, at most MAX_METADATA_DEPTH levels deep.
 */

/** The largest external id accepted, in UTF-16 code units. */
export const MAX_ID_LENGTH = 1024;
/** The largest k any entry point accepts (a server's maxK may be lower). */
export const MAX_K = DEFAULT_MAX_K;
/** Metadata nests at most this many levels (the top-level map is level 1). */
export const MAX_METADATA_DEPTH = 32;
/** The longest query text, in UTF-16 code units. */
export const MAX_QUERY_TEXT_LENGTH = 1 << 20;
/** The search modes. */
export const SEARCH_MODES: readonly SearchMode[] = ["exact", "fast", "approximate"];

/** Limits an entry point layers on top of the rules (the server's, from its configuration). */
export interface RequestLimits {
  /** Largest k; LIMIT_EXCEEDED above it. */
  maxK?: number;
  /** Most non-zero terms in one vector. */
  maxVectorTerms?: number;
  /** Most documents in one upsert, ids in one delete. */
  maxBatch?: number;
  /** Most queries in one searchBatch. */
  maxBatchQueries?: number;
  /** Who sets the limits, for the message ("this server"). */
  owner?: string;
}

export interface RequestContext {
  /** Term ids must be below this (BERT's 30522 when not known). */
  vocabSize?: number;
  limits?: RequestLimits;
  /** The collection's vocabulary: turns token-keyed vectors (`{tokens: {...}}`) into term ids. */
  vocabulary?: TokenLookup;
  /**
   * The vocabulary is someone else's to apply (a client before sending, the CLI before it knows
   * the collection): token-keyed vectors are checked for shape and weights and kept as tokens.
   */
  keepTokens?: boolean;
  /**
   * The collection's dense vectors: their length, or null when it has none (a dense vector is
   * then refused). Absent: not known here (a client, the CLI), so only the shape is checked.
   * `fromText`: the collection has a dense text encoder, so a text query without `dense` has a
   * dense leg too (its hybrid options apply; fusion defaults to rrf).
   */
  dense?: { dims: number; fromText?: boolean } | null;
}

/** What resolving tokens needs of a vocabulary (engine/vocabulary.ts's Vocabulary has it). */
export interface TokenLookup {
  readonly size: number;
  idOf(token: string): number | undefined;
}

/** A checked document: its vector (when given as one) or its text, and its metadata or null. */
export interface CheckedDocument {
  id: string;
  vector?: SparseVector;
  /** A token-keyed vector not yet resolved (only with RequestContext.keepTokens). */
  tokens?: Record<string, number>;
  text?: string;
  /** Its dense vector, checked (float32, finite, of the collection's dims when known); not yet normalised. */
  dense?: Float32Array;
  metadata: Record<string, unknown> | null;
}

export interface CheckedSearch {
  vector?: SparseVector;
  /** A token-keyed query not yet resolved (only with RequestContext.keepTokens). */
  tokens?: Record<string, number>;
  text?: string;
  k: number;
  mode: SearchMode;
  algorithm?: AlgorithmName;
  /** Set in mode "approximate" only: the recall@k to reach. */
  recall?: number;
  filter?: Filter;
  explain: boolean;
  /** Hits of the ranking skipped (0 when not given); the search retrieves k + offset. */
  offset: number;
  /** Only hits scoring >= this. */
  scoreThreshold?: number;
  /** What hits carry: metadata (all, none or named fields) and whether the text. */
  include: CheckedInclude;
  /** The dense query (float32, finite, of the collection's dims when known), alone or with a sparse one. */
  dense?: Float32Array;
  /** A sparse and a dense query without rerank: how their legs are fused (hybrid-search-options.ts). */
  fusion?: CheckedFusion;
  /** A sparse and a dense query: candidates each leg (or a rerank's first stage) retrieves. */
  prefetch?: number;
  rerank?: RerankBy;
}

/** A checked `include`: metadata true (all), false (none) or the fields to keep (dotted paths reach nested ones); text yes or no. */
export interface CheckedInclude {
  metadata: boolean | string[];
  text: boolean;
}

function bad(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", message);
}

function absent(x: unknown): boolean {
  return x === undefined || x === null;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** An external id. `where` names it in the message ("get", "document 3", "id 2"). */
/** With the u flag, surrogate pairs match as one code point, so this finds only unpaired halves. */
const LONE_SURROGATE = /\p{Cs}/u;

export function checkId(id: unknown, where: string): string {
  if (typeof id !== "string") throw bad(`${where}: id must be a string, got ${typeName(id)}`);
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw bad(`${where}: id must be 1..${MAX_ID_LENGTH} characters long, got ${id.length}`);
  }
  // Ids are stored as UTF-8 in segments; a lone surrogate has no UTF-8 form and would come back changed.
  if (LONE_SURROGATE.test(id)) throw bad(`${where}: id ${JSON.stringify(id)} is not well-formed Unicode (it has a lone surrogate): use valid UTF-16 text`);
  return id;
}

/** k: a number first, then an integer in 1..MAX_K. */
export function checkK(k: unknown): number {
  if (typeof k !== "number") throw bad(`search: k must be a number, got ${typeName(k)}`);
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw bad(`search: k must be an integer in 1..${MAX_K}, got ${k}`);
  return k;
}

function owner(limits: RequestLimits): string {
  return limits.owner ?? "this server";
}

/** The term limit, on a checked vector (whose zero weights are dropped, so nnz counts non-zeros). */
function checkVectorLimit(v: SparseVector, where: string, limits: RequestLimits): void {
  if (limits.maxVectorTerms !== undefined && v.nnz > limits.maxVectorTerms) {
    throw new SparseDbError("LIMIT_EXCEEDED", `${where}: the vector has ${v.nnz} non-zero terms; ${owner(limits)} accepts at most ${limits.maxVectorTerms}: drop the smallest weights`);
  }
}

function checkBatchLimit(n: number, what: string, limits: RequestLimits): void {
  if (limits.maxBatch !== undefined && n > limits.maxBatch) {
    throw new SparseDbError("LIMIT_EXCEEDED", `${what}: ${n} entries; ${owner(limits)} accepts at most ${limits.maxBatch} per request: split it`);
  }
}

/**
 * A SparseVector from any VectorInput, checked: term ids below the vocabulary, finite weights
 * (documents: non-negative).
 */
export function checkVector(input: unknown, role: "document" | "query", where: string, ctx: { vocabSize?: number; vocabulary?: TokenLookup } = {}): SparseVector {
  const vocabSize = ctx.vocabSize ?? BERT_VOCAB_SIZE;
  if (input instanceof SparseVector) {
    for (let i = 0; i < input.nnz; i++) {
      if (input.terms[i]! >= vocabSize) {
        throw new SparseDbError("INVALID_VECTOR", `${where}: term id ${input.terms[i]} is outside the collection's vocabulary (0..${vocabSize - 1})`);
      }
      if (role === "document" && input.weights[i]! < 0) {
        throw new SparseDbError("INVALID_VECTOR", `${where}: document weights must be >= 0 (term ${input.terms[i]} has ${input.weights[i]})`);
      }
    }
    return input;
  }
  if (input === null || typeof input !== "object" || Array.isArray(input) || ArrayBuffer.isView(input)) {
    throw bad(`${where}: vector must be {terms: [...], weights: [...]}, {tokens: {token: weight}}, a map {termId: weight} or a SparseVector, got ${typeName(input)}`);
  }
  const x = input as Record<string, unknown>;
  const opts = { role, vocabSize };
  if ("tokens" in x) {
    const tokens = checkTokenMap(x, role, where);
    if (ctx.vocabulary === undefined) {
      throw new SparseDbError("INVALID_VECTOR", `${where}: a vector keyed by tokens needs the collection's vocabulary, and this collection has none (no encoder); give term ids: {terms, weights}`);
    }
    return resolveTokens(tokens, ctx.vocabulary, role, where);
  }
  if ("terms" in x || "weights" in x) {
    const terms = x.terms, weights = x.weights;
    if (!isArrayLike(terms) || !isArrayLike(weights)) {
      throw new SparseDbError("INVALID_VECTOR", `${where}: vector.terms and vector.weights must both be arrays, got ${typeName(terms)} and ${typeName(weights)}`);
    }
    return withWhere(where, () => SparseVector.fromArrays(terms, weights, opts));
  }
  return withWhere(where, () => SparseVector.fromTermMap(x as Record<string, number>, opts));
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

function withWhere<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SparseDbError) throw new SparseDbError(e.code, `${where}: ${e.message}`);
    throw e;
  }
}

/**
 * Metadata: absent (null) or a map of plain data (maps, arrays, strings, numbers, booleans,
 * null, binary), without cycles, at most MAX_METADATA_DEPTH levels deep.
 */
export function checkMetadata(x: unknown, where: string): Record<string, unknown> | null {
  if (absent(x)) return null;
  if (!isPlainObject(x)) throw bad(`${where}: metadata must be a map of fields, got ${typeName(x)}`);
  checkPlainValue(x, "metadata", 1, [], where);
  return x;
}

function checkPlainValue(value: unknown, path: string, depth: number, parents: object[], where: string): void {
  if (value === null || value === undefined) return;
  switch (typeof value) {
    case "string":
    case "boolean":
    case "number":
      return;
    case "object":
      break;
    case "bigint":
      throw bad(`${where}: ${path} is an integer beyond 2^53, which metadata cannot hold exactly; store it as a string`);
    default:
      throw bad(`${where}: ${path} is a ${typeof value}; metadata holds plain data (maps, arrays, strings, numbers, booleans, null, binary)`);
  }
  if (value instanceof Uint8Array) return;
  if (parents.includes(value)) {
    throw bad(`${where}: metadata is circular (${path} refers back to an object that contains it); metadata must be plain data`);
  }
  if (depth > MAX_METADATA_DEPTH) throw bad(`${where}: metadata is nested deeper than ${MAX_METADATA_DEPTH} levels (at ${path})`);
  parents.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkPlainValue(value[i], `${path}[${i}]`, depth + 1, parents, where);
  } else if (isPlainObject(value)) {
    for (const k of Object.keys(value)) checkPlainValue(value[k], `${path}.${k}`, depth + 1, parents, where);
  } else {
    const name = (Object.getPrototypeOf(value)?.constructor?.name as string | undefined) ?? "object";
    throw bad(`${where}: ${path} is a ${name}; metadata holds plain data (maps, arrays, strings, numbers, booleans, null, binary)`);
  }
  parents.pop();
}

function checkBatch(x: unknown, what: string, usage: string): unknown[] {
  if (!Array.isArray(x)) throw bad(`${what} takes an array ${usage}, got ${typeName(x)}`);
  return x;
}

/** Checks an upsert's documents; text stays text (the caller's encoder turns it into a vector). */
export function checkUpsert(docs: unknown, ctx: RequestContext = {}): CheckedDocument[] {
  const list = checkBatch(docs, "upsert", "of documents [{id, vector | text, metadata?}]");
  const checked = list.map((d, i) => checkDocument(d, i, ctx));
  if (ctx.limits !== undefined) {
    checkBatchLimit(checked.length, "upsert", ctx.limits);
    checked.forEach((d, i) => {
      if (d.vector !== undefined) checkVectorLimit(d.vector, `document ${i} (id ${JSON.stringify(shortId(d.id))})`, ctx.limits!);
    });
  }
  return checked;
}

function shortId(id: string): string {
  return id.length > 40 ? id.slice(0, 40) + "..." : id;
}

function checkDocument(d: unknown, i: number, ctx: RequestContext): CheckedDocument {
  let where = `document ${i}`;
  if (d === null || typeof d !== "object" || Array.isArray(d) || ArrayBuffer.isView(d)) {
    throw bad(`${where} must be an object {id, vector | text, metadata?}, got ${typeName(d)}`);
  }
  const doc = d as Record<string, unknown>;
  const id = checkId(doc.id, where);
  where = `document ${i} (id ${JSON.stringify(shortId(id))})`;
  const hasVector = !absent(doc.vector), hasText = !absent(doc.text), hasDense = !absent(doc.dense);
  if (!hasVector && !hasText && !hasDense) throw bad(`${where} has neither a vector nor a text (nor a dense vector); give one`);
  const out: CheckedDocument = { id, metadata: checkMetadata(doc.metadata, where) };
  if (hasDense) out.dense = checkDense(doc.dense, where, ctx);
  // Both: a precomputed vector with the text it came from (an import of an export); the vector
  // is stored as given and the text only kept (storeText), never encoded.
  if (hasVector && ctx.keepTokens === true && isTokenVector(doc.vector)) out.tokens = checkTokenMap(doc.vector, "document", where);
  else if (hasVector) out.vector = checkVector(doc.vector, "document", where, ctx);
  if (hasText) {
    if (typeof doc.text !== "string") throw bad(`${where}: text must be a string, got ${typeName(doc.text)}`);
    out.text = doc.text;
  }
  return out;
}

/** Checks a delete's ids. */
export function checkDelete(ids: unknown, limits?: RequestLimits): string[] {
  const checked = checkBatch(ids, "delete", "of ids").map((id, i) => checkId(id, `delete: id ${i}`));
  if (limits !== undefined) checkBatchLimit(checked.length, "delete", limits);
  return checked;
}

/** Checks a search request. */
export function checkSearch(request: unknown, ctx: RequestContext = {}): CheckedSearch {
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    throw bad(`search takes an object {vector | text | dense, k, filter?, fusion?, prefetch?, rerank?, mode?, recall?, algorithm?, explain?, include?, offset?, scoreThreshold?}, got ${typeName(request)}`);
  }
  const r = request as Record<string, unknown> & Partial<SearchRequest>;
  const k = checkK(r.k);
  const hasVector = !absent(r.vector), hasText = !absent(r.text), hasDense = !absent(r.dense);
  if (hasVector && hasText) throw bad("search: give exactly one of vector and text, not both");
  if (!hasVector && !hasText && !hasDense) throw bad("search needs a vector, a text or a dense vector");
  const out: CheckedSearch = { k, mode: "exact", explain: false, include: checkInclude(r.include, "search", { text: false }), ...checkSearchOptions(r, k, MAX_K) };
  if (hasDense) out.dense = checkDense(r.dense, "search: query", ctx);
  // A text query also has a dense leg where the collection encodes dense vectors from text; where
  // that is not known here (a client), its hybrid options are left for the collection to judge.
  const textDense = hasText && !hasDense && (ctx.dense === undefined ? "unknown" : ctx.dense?.fromText === true);
  Object.assign(out, checkHybridOptions(r, { sparse: hasVector || hasText, dense: hasDense || textDense }, out.offset + k, MAX_K));
  if (!hasVector && !hasText) {
    // A dense search only: nothing else to check of a sparse query.
  } else if (hasVector && ctx.keepTokens === true && isTokenVector(r.vector)) out.tokens = checkTokenMap(r.vector, "query", "search: query");
  else if (hasVector) out.vector = checkVector(r.vector, "query", "search: query", ctx);
  else {
    if (typeof r.text !== "string") throw bad(`search: text must be a string, got ${typeName(r.text)}`);
    if (r.text.length > MAX_QUERY_TEXT_LENGTH) throw bad(`search: text is ${r.text.length} characters long; a query text has at most ${MAX_QUERY_TEXT_LENGTH}`);
    out.text = r.text;
  }
  if (!absent(r.mode)) {
    if (!(SEARCH_MODES as unknown[]).includes(r.mode)) {
      throw bad(`search: mode must be ${SEARCH_MODES.map((m) => JSON.stringify(m)).join(" or ")}, got ${typeof r.mode === "string" ? JSON.stringify(r.mode) : typeName(r.mode)}`);
    }
    out.mode = r.mode as SearchMode;
  }
  if (out.mode !== "exact" && !hasVector && !hasText) throw bad(`search: mode "${out.mode}" is the sparse leg's; a search with only a dense query has none (its index decides: the collection's dense.index)`);
  if (!absent(r.algorithm)) {
    if (typeof r.algorithm !== "string") throw bad(`search: algorithm must be a string, got ${typeName(r.algorithm)}`);
    out.algorithm = withWhere("search", () => checkAlgorithm(r.algorithm));
  }
  const recall = withWhere("search", () => approximateRecall(out.mode, absent(r.recall) ? undefined : r.recall, out.algorithm));
  if (recall !== undefined) out.recall = recall;
  if (!absent(r.filter)) {
    if (!isPlainObject(r.filter)) throw bad(`search: filter must be a map (see the filter language), got ${typeName(r.filter)}`);
    compileFilter(r.filter as Filter); // throws INVALID_ARGUMENT naming the bad part
    out.filter = r.filter as Filter;
  }
  if (!absent(r.explain)) {
    if (typeof r.explain !== "boolean") throw bad(`search: explain must be a boolean, got ${typeName(r.explain)}`);
    out.explain = r.explain;
  }
  const limits = ctx.limits;
  if (limits !== undefined) {
    if (limits.maxK !== undefined && k > limits.maxK) {
      throw new SparseDbError("LIMIT_EXCEEDED", `search: k is ${k}; ${owner(limits)} returns at most ${limits.maxK} hits`);
    }
    if (limits.maxK !== undefined && out.offset + k > limits.maxK) {
      throw new SparseDbError("LIMIT_EXCEEDED", `search: offset + k is ${out.offset + k}; ${owner(limits)} searches at most ${limits.maxK} hits deep (offset + k <= ${limits.maxK})`);
    }
    if (out.vector !== undefined) checkVectorLimit(out.vector, "search: query", limits);
    if (limits.maxK !== undefined && out.prefetch !== undefined && out.prefetch > limits.maxK) {
      throw new SparseDbError("LIMIT_EXCEEDED", `search: prefetch is ${out.prefetch}; ${owner(limits)} retrieves at most ${limits.maxK} candidates per leg`);
    }
  }
  return out;
}

/** A dense vector of a document or a query, checked against what the context knows of the collection's dense vectors. */
function checkDense(x: unknown, where: string, ctx: RequestContext): Float32Array {
  if (ctx.dense === null) {
    throw new SparseDbError("INVALID_VECTOR", `${where}: has a dense vector, but this collection has no dense vectors; create a collection with dense: {dims, metric, index} to store and search them`);
  }
  return checkDenseVector(x, where, ctx.dense?.dims);
}

// ---------------------------------------------------------------- documents: include, batch get, filters, patches

/** The keys `include` knows; any other is refused so that a misspelt one is not ignored. */
export const INCLUDE_KEYS: readonly string[] = ["text", "metadata"];
/** The most metadata field names one include lists. */
export const MAX_INCLUDE_FIELDS = 1024;

/**
 * `include`: absent (defaults), or a map {text?: boolean, metadata?: boolean | string[]}.
 * `defaults.text` differs by operation: search hits leave the text out unless asked, get returns it.
 */
export function checkInclude(x: unknown, where: string, defaults: { text: boolean }): CheckedInclude {
  const out: CheckedInclude = { metadata: true, text: defaults.text };
  if (absent(x)) return out;
  if (!isPlainObject(x)) throw bad(`${where}: include must be a map {text?: boolean, metadata?: boolean | [field, ...]}, got ${typeName(x)}`);
  for (const key of Object.keys(x)) {
    if (!INCLUDE_KEYS.includes(key)) throw bad(`${where}: include has an unknown field ${JSON.stringify(key)}; it knows ${INCLUDE_KEYS.map((k) => JSON.stringify(k)).join(" and ")}`);
  }
  if (!absent(x.text)) {
    if (typeof x.text !== "boolean") throw bad(`${where}: include.text must be a boolean, got ${typeName(x.text)}`);
    out.text = x.text;
  }
  const m = x.metadata;
  if (absent(m)) return out;
  if (typeof m === "boolean") out.metadata = m;
  else if (Array.isArray(m)) {
    if (m.length > MAX_INCLUDE_FIELDS) throw bad(`${where}: include.metadata lists ${m.length} fields; at most ${MAX_INCLUDE_FIELDS}`);
    m.forEach((f, i) => {
      if (typeof f !== "string" || f.length === 0) throw bad(`${where}: include.metadata[${i}] must be a non-empty field name, got ${typeof f === "string" ? '""' : typeName(f)}`);
    });
    out.metadata = [...new Set(m as string[])];
  } else {
    throw bad(`${where}: include.metadata must be true, false or a list of field names (dotted paths reach nested fields), got ${typeName(m)}`);
  }
  return out;
}

/** A metadata filter (a map in the filter language), compiled once to check it. */
export function checkFilter(x: unknown, where: string): Filter {
  if (!isPlainObject(x)) throw bad(`${where}: filter must be a map (see the filter language), got ${typeName(x)}`);
  withWhere(where, () => compileFilter(x as Filter)); // throws INVALID_ARGUMENT naming the bad part
  return x as Filter;
}

/** getMany's ids: an array of ids (duplicates allowed; each gets its answer). */
export function checkGetMany(ids: unknown, limits?: RequestLimits): string[] {
  const checked = checkBatch(ids, "getMany", "of ids").map((id, i) => checkId(id, `getMany: id ${i}`));
  if (limits !== undefined) checkBatchLimit(checked.length, "getMany", limits);
  return checked;
}

/** `delete({filter})`: a map with a filter (an empty filter {} matches, and so deletes, every document). */
export function checkDeleteByFilter(request: unknown): Filter {
  if (!isPlainObject(request)) throw bad(`delete takes an array of ids or {filter}, got ${typeName(request)}`);
  if (absent(request.filter)) throw bad("delete: give an array of ids or {filter: {...}}; the map has no filter");
  return checkFilter(request.filter, "delete");
}

/**
 * setMetadata's patch: a map of top-level fields (values plain data as in metadata; null removes
 * the field). Not null, not an array.
 */
export function checkMetadataPatch(patch: unknown, where = "setMetadata"): Record<string, unknown> {
  if (!isPlainObject(patch)) throw bad(`${where}: the patch must be a map of top-level metadata fields (a field set to null is removed), got ${typeName(patch)}`);
  checkPlainValue(patch, "patch", 1, [], where);
  return patch;
}

/**
 * A token-keyed vector is `{tokens: {token: weight}}`: its own field, never told apart from a
 * term-id map by its keys, since tokens can be decimal numbers too ("1990" is a BERT token).
 */
function isTokenVector(x: unknown): x is { tokens: unknown } {
  return isPlainObject(x) && "tokens" in x;
}

/** The `{token: weight}` map of a token-keyed vector, its weights checked as any vector's. */
function checkTokenMap(x: Record<string, unknown>, role: "document" | "query", where: string): Record<string, number> {
  if ("terms" in x || "weights" in x) throw new SparseDbError("INVALID_VECTOR", `${where}: give a vector either as {terms, weights} or as {tokens}, not both`);
  const tokens = x.tokens;
  if (!isPlainObject(tokens)) throw new SparseDbError("INVALID_VECTOR", `${where}: vector.tokens must be a map {token: weight}, got ${typeName(tokens)}`);
  for (const [token, w] of Object.entries(tokens)) {
    if (typeof w !== "number") throw new SparseDbError("INVALID_VECTOR", `${where}: the weight of token ${JSON.stringify(token)} must be a number, got ${typeName(w)}`);
    if (!Number.isFinite(w)) throw new SparseDbError("INVALID_VECTOR", `${where}: the weight of token ${JSON.stringify(token)} is ${w}; weights must be finite numbers`);
    if (role === "document" && w < 0) throw new SparseDbError("INVALID_VECTOR", `${where}: document weights must be >= 0 (token ${JSON.stringify(token)} has ${w})`);
  }
  return tokens as Record<string, number>;
}

/** A token map as term ids of `vocabulary`; an unknown token is named, with where to see the real ones. */
function resolveTokens(tokens: Record<string, number>, vocabulary: TokenLookup, role: "document" | "query", where: string): SparseVector {
  const keys = Object.keys(tokens);
  const terms = new Array<number>(keys.length), weights = new Array<number>(keys.length);
  keys.forEach((token, i) => {
    const id = vocabulary.idOf(token);
    if (id === undefined) {
      throw new SparseDbError(
        "INVALID_VECTOR",
        `${where}: unknown token ${JSON.stringify(token)}: the collection's vocabulary (${vocabulary.size} WordPiece tokens) has no such token; ` +
          `see the tokens a text becomes with \`sparsedb encode "TEXT"\` (collection.encode in the library)`,
      );
    }
    terms[i] = id;
    weights[i] = tokens[token]!;
  });
  return withWhere(where, () => SparseVector.fromArrays(terms, weights, { role, vocabSize: vocabulary.size }));
}

/** The role a text is encoded in: as an upserted document, or as a search query. */
export type EncodeRole = "document" | "query";

export interface CheckedEncode {
  text: string;
  role: EncodeRole;
}

/** Checks an encode request: a text (as long as a query text may be) and a role ("document" by default). */
export function checkEncode(text: unknown, options: unknown): CheckedEncode {
  if (typeof text !== "string") throw bad(`encode: text must be a string, got ${typeName(text)}`);
  if (text.length > MAX_QUERY_TEXT_LENGTH) throw bad(`encode: text is ${text.length} characters long; encode takes at most ${MAX_QUERY_TEXT_LENGTH}`);
  if (absent(options)) return { text, role: "document" };
  if (!isPlainObject(options)) throw bad(`encode: options must be an object {role?}, got ${typeName(options)}`);
  const role = options.role;
  if (absent(role)) return { text, role: "document" };
  if (role !== "document" && role !== "query") {
    throw bad(`encode: role must be "document" or "query", got ${typeof role === "string" ? JSON.stringify(role) : typeName(role)}`);
  }
  return { text, role };
}
