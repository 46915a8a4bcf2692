import type { Encoder } from "../../encoder/encoder.js";
import { Bm25Encoder } from "../../encoder/bm25-encoder.js";
import type { Bm25Config, EncoderConfig } from "../../encoder/encoder.js";
import type {
  CollectionOpener,
  CollectionBackend,
  CollectionBackendOptions,
  DocumentInput,
  SearchHit,
  SearchRequest,
  StoredDocument,
} from "../../engine/database/collection-backend.js";
import type { ScrollPage, ScrollRequest } from "../../engine/requests.js";
import { checkScroll, encodeCursor } from "../../engine/scroll-request.js";
import { checkVector } from "../../engine/validate-request.js";
import { SparseDbError } from "../../engine/errors.js";
import { compileFilter } from "../../engine/filter.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * An in-memory stand-in for engine/collection/collection-store.ts with the same contract: brute-force exact
 * search, filters, explain. Persists its documents as one JSON file on flush/close so reopen
 * tests work. Used by the database/server tests until (and besides) the real storage.
 */
export class FakeCollection implements CollectionBackend {
  private docs = new Map<string, StoredDocument>();
  private closed = false;

  private constructor(private readonly dir: string, private readonly encoder: Encoder | undefined) {}

  static async open(dir: string, options: CollectionBackendOptions): Promise<FakeCollection> {
    const file = join(dir, "fake.json");
    if (!existsSync(file)) {
      if (!options.create) throw new SparseDbError("NOT_FOUND", `no collection at ${dir}`);
      await mkdir(dir, { recursive: true });
      await writeFile(file, "[]");
    }
    const c = new FakeCollection(dir, options.encoder);
    for (const d of JSON.parse(await readFile(file, "utf8")) as { id: string; terms: number[]; weights: number[]; metadata?: unknown }[]) {
      c.docs.set(d.id, { id: d.id, vector: SparseVector.fromArrays(d.terms, d.weights, { vocabSize: 1 << 30 }), metadata: d.metadata });
    }
    return c;
  }

  private check(): void {
    if (this.closed) throw new SparseDbError("CLOSED", "collection closed");
  }

  async upsert(docs: DocumentInput[]): Promise<void> {
    this.check();
    const texts = docs.filter((d) => d.vector === undefined).map((d) => d.text!);
    const encoded = texts.length > 0 ? await this.encoder!.encodeDocuments(texts) : [];
    let t = 0;
    for (const d of docs) {
      if (typeof d.id !== "string" || d.id === "") throw new SparseDbError("INVALID_ARGUMENT", "id must be a non-empty string");
      const vector = d.vector === undefined ? encoded[t++]! : checkVector(d.vector, "document", "fake");
      this.docs.set(d.id, { id: d.id, vector, metadata: d.metadata });
    }
    await new Promise((r) => setImmediate(r));
  }

  async delete(ids: string[]): Promise<number> {
    this.check();
    let n = 0;
    for (const id of ids) if (this.docs.delete(id)) n++;
    return n;
  }

  get(id: string): StoredDocument | undefined {
    this.check();
    return this.docs.get(id);
  }

  count(filter?: Parameters<typeof compileFilter>[0]): number {
    this.check();
    if (filter === undefined) return this.docs.size;
    const accept = compileFilter(filter);
    return [...this.docs.values()].filter((d) => accept(d.metadata ?? null)).length;
  }

  stats(): unknown {
    return { docs: this.docs.size, segments: 0 };
  }

  async flush(): Promise<void> {
    this.check();
    const rows = [...this.docs.values()].map((d) => ({ id: d.id, terms: [...d.vector.terms], weights: [...d.vector.weights], metadata: d.metadata }));
    await writeFile(join(this.dir, "fake.json"), JSON.stringify(rows));
  }

  /** Nothing is on disk before its JSON file is written, so syncing writes it. */
  async sync(): Promise<void> {
    await this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }

  /** Sorts every page (a stand-in: the real store walks cached id orders). */
  scroll(request: ScrollRequest): ScrollPage {
    this.check();
    const r = checkScroll(request);
    const pass = r.filter === undefined ? () => true : compileFilter(r.filter);
    const after = [...this.docs.values()].filter((d) => (r.after === undefined || d.id > r.after) && pass(d.metadata)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const documents = after.slice(0, r.limit).map((d) => (r.withVectors ? { ...d, metadata: d.metadata ?? null } : { id: d.id, metadata: d.metadata ?? null }));
    return { documents, nextCursor: after.length > r.limit ? encodeCursor(documents[documents.length - 1]!.id) : null };
  }

  async search(req: SearchRequest): Promise<SearchHit[]> {
    this.check();
    if (!Number.isInteger(req.k) || req.k < 1) throw new SparseDbError("INVALID_ARGUMENT", "k must be a positive integer");
    const q = req.vector !== undefined
      ? checkVector(req.vector, "query", "fake")
      : await this.encoder!.encodeQuery(req.text!);
    const pass = req.filter === undefined ? () => true : compileFilter(req.filter);
    const scored: SearchHit[] = [];
    for (const d of this.docs.values()) {
      if (!pass(d.metadata)) continue;
      const score = d.vector.dot(q);
      if (score <= 0) continue;
      const hit: SearchHit = { id: d.id, score, metadata: d.metadata ?? null };
      if (req.explain) {
        const qm = q.toTermMap();
        hit.explain = [];
        for (let i = 0; i < d.vector.nnz; i++) {
          const t = d.vector.terms[i]!;
          if (qm[t] !== undefined) hit.explain.push({ termId: t, queryWeight: qm[t]!, docWeight: d.vector.weights[i]!, contribution: qm[t]! * d.vector.weights[i]! });
        }
        hit.explain.sort((a, b) => b.contribution - a.contribution);
      }
      scored.push(hit);
    }
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const kept = req.scoreThreshold === undefined ? scored : scored.filter((h) => h.score >= req.scoreThreshold!);
    const offset = req.offset ?? 0;
    return kept.slice(offset, offset + req.k);
  }
}

export const openFakeCollection: CollectionOpener = (dir, options) => FakeCollection.open(dir, options);

export async function createTestEncoder(config: EncoderConfig): Promise<Encoder> {
  if (config.kind !== "bm25") throw new SparseDbError("INVALID_ARGUMENT", "test encoder factory makes BM25 only");
  return new Bm25Encoder(config as Bm25Config);
}

/** Database options that use the in-memory backend. */
export const fakeBackends = { openCollection: openFakeCollection, createEncoder: createTestEncoder, defaultEncoder: { kind: "bm25" } as EncoderConfig };
