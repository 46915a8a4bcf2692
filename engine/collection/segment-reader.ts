import type { Sections } from "../../storage/segment-file.js";
import { unpackValue } from "../../storage/msgpack.js";
import { SparseDbError } from "../errors.js";
import { SegmentIndex } from "../index/segment-index.js";
import { idSections, type DenseRows } from "./build-sections.js";
import type { DenseMetric } from "../dense/dense-metric.js";
import { HnswDenseIndex } from "../dense/hnsw-dense-index.js";
import { NO_LENGTH } from "./corpus-statistics.js";
import { idHash, lookupId } from "./id-hash.js";

/**
 * One segment's immutable contents, as read from its file (or built by a flush or a merge): the
 * searchable index, the external-id table, per-document metadata and corpus-statistics lengths.
 * Nothing here changes after construction; deletions and the commit bookkeeping are LiveSegment's.
 */
export class SegmentReader {
  readonly id: number;
  readonly index: SegmentIndex;
  /** All ids concatenated; id d is joinedIds[idEnds[d-1] .. idEnds[d]). */
  private readonly joinedIds: string;
  private readonly idEnds: Uint32Array;
  private readonly idTable: Uint32Array;
  private readonly metaBlob: Uint8Array;
  private readonly metaEnds: Uint32Array;
  /** Per document its corpus-statistics length (NO_LENGTH: none); null when no document has one. */
  readonly lengths: Uint32Array | null;
  /** Stored texts (UTF-8) and each doc's end byte in them; null when no document has one (and in files older than texts). */
  private readonly textBlob: Uint8Array | null;
  private readonly textEnds: Uint32Array | null;
  /** Dense vectors (null: no document has one, and files older than dense vectors). */
  readonly dense: DenseRows | null;
  /** Doc -> its row in dense.vectors, or -1; built on first use. */
  private denseRowOf: Int32Array | null = null;
  private hnswLoad: Promise<HnswDenseIndex> | null = null;
  private hnswLoaded: HnswDenseIndex | null = null;

  constructor(args: {
    id: number;
    index: SegmentIndex;
    joinedIds: string;
    idEnds: Uint32Array;
    idTable: Uint32Array;
    metaBlob: Uint8Array;
    metaEnds: Uint32Array;
    lengths?: Uint32Array | null;
    textBlob?: Uint8Array | null;
    textEnds?: Uint32Array | null;
    dense?: DenseRows | null;
  }) {
    this.id = args.id;
    this.index = args.index;
    this.joinedIds = args.joinedIds;
    this.idEnds = args.idEnds;
    this.idTable = args.idTable;
    this.metaBlob = args.metaBlob;
    this.metaEnds = args.metaEnds;
    this.lengths = args.lengths ?? null;
    this.textBlob = args.textBlob ?? null;
    this.textEnds = args.textEnds ?? null;
    const n = this.index.numDocs;
    this.dense = args.dense ?? null;
    if (this.dense !== null) checkDenseRows(args.id, this.dense, n);
    if ((this.textBlob === null) !== (this.textEnds === null)) throw new SparseDbError("CORRUPTION", `segment ${args.id}: docs.text and docs.textEnds must come together`);
    if (this.textEnds !== null) {
      if (this.textEnds.length !== n) throw new SparseDbError("CORRUPTION", `segment ${args.id}: ${n} docs but ${this.textEnds.length} text ends`);
      let previous = 0;
      for (let d = 0; d < n; d++) {
        const end = this.textEnds[d]!;
        if (end < previous || end > this.textBlob!.length) throw new SparseDbError("CORRUPTION", `segment ${args.id}: text end ${end} of doc ${d} is out of order or past the texts' ${this.textBlob!.length} bytes`);
        previous = end;
      }
    }
    if (this.lengths !== null && this.lengths.length !== n) {
      throw new SparseDbError("CORRUPTION", `segment ${args.id}: ${n} docs but ${this.lengths.length} document lengths`);
    }
    if (this.idEnds.length !== n || this.metaEnds.length !== n || this.idTable.length < n || (this.idTable.length & (this.idTable.length - 1)) !== 0) {
      throw new SparseDbError("CORRUPTION", `segment ${args.id}: ${n} docs but ${this.idEnds.length} ids and ${this.metaEnds.length} metadata entries`);
    }
  }

  get numDocs(): number {
    return this.index.numDocs;
  }

  /** The external id of a doc. */
  idAt(doc: number): string {
    return this.joinedIds.slice(doc === 0 ? 0 : this.idEnds[doc - 1]!, this.idEnds[doc]!);
  }

  /** The doc holding `id` (deleted or not), or -1. */
  findId(id: string, hash = idHash(id)): number {
    return lookupId(this.idTable, id, hash, (x) => this.idAt(x));
  }

  /** A doc's length for the corpus statistics, or NO_LENGTH. */
  lengthOf(doc: number): number {
    return this.lengths === null ? NO_LENGTH : this.lengths[doc]!;
  }

  termsOf(doc: number): Uint16Array | Uint32Array {
    const f = this.index.forward;
    return f.terms.subarray(f.docStart[doc]!, f.docStart[doc + 1]!);
  }

  /** The raw msgpack bytes of a doc's metadata (empty: none). */
  metaBytes(doc: number): Uint8Array {
    return this.metaBlob.subarray(doc === 0 ? 0 : this.metaEnds[doc - 1]!, this.metaEnds[doc]!);
  }

  metadata(doc: number): unknown {
    const b = this.metaBytes(doc);
    return b.length === 0 ? null : unpackValue(b);
  }

  /** The UTF-8 bytes of a doc's stored text (empty: none). */
  textBytes(doc: number): Uint8Array {
    if (this.textBlob === null) return EMPTY;
    return this.textBlob.subarray(doc === 0 ? 0 : this.textEnds![doc - 1]!, this.textEnds![doc]!);
  }

  /** A doc's stored text, or null when it has none. */
  text(doc: number): string | null {
    const b = this.textBytes(doc);
    return b.length === 0 ? null : utf8Decoder.decode(b);
  }

  /**
   * The segment's HNSW index, loaded from its dense.hnsw section on first use (a search awaits
   * it before it runs); null when the segment has none (it is then searched flat).
   */
  denseIndex(metric: DenseMetric): Promise<HnswDenseIndex> | null {
    if (this.dense?.hnsw === undefined) return null;
    this.hnswLoad ??= HnswDenseIndex.load(this.dense.hnsw, this.dense.vectors, this.dense.dims, metric).then((index) => (this.hnswLoaded = index));
    return this.hnswLoad;
  }

  /** The HNSW index once denseIndex() has loaded it, else null. */
  get loadedDenseIndex(): HnswDenseIndex | null {
    return this.hnswLoaded;
  }

  /** A doc's dense vector (a view into the segment), or null when it has none. */
  denseOf(doc: number): Float32Array | null {
    if (this.dense === null) return null;
    if (this.denseRowOf === null) {
      const rows = new Int32Array(this.numDocs).fill(-1);
      this.dense.docs.forEach((d, row) => (rows[d] = row));
      this.denseRowOf = rows;
    }
    const row = this.denseRowOf[doc]!;
    const dims = this.dense.dims;
    return row < 0 ? null : this.dense.vectors.subarray(row * dims, (row + 1) * dims);
  }

  toSections(): Sections {
    const s = idSections(this.index.toSections(), [], this.metaBlob, this.metaEnds, this.lengths, this.id, this.textBlob, this.textEnds, this.dense);
    s.arrays["ids.text"] = new TextEncoder().encode(this.joinedIds);
    s.arrays["ids.ends"] = this.idEnds;
    s.arrays["ids.hash"] = this.idTable;
    return s;
  }

  static fromSections(id: number, sections: Sections): SegmentReader {
    const idxMeta: Record<string, number | string> = {};
    const idxArrays: Record<string, Uint8Array | Uint16Array | Uint32Array | Float32Array> = {};
    for (const [k, v] of Object.entries(sections.meta)) if (k.startsWith("index.")) idxMeta[k.slice(6)] = v as number | string;
    for (const [k, v] of Object.entries(sections.arrays)) {
      if (k.startsWith("index.")) idxArrays[k.slice(6)] = v as Uint8Array | Uint16Array | Uint32Array | Float32Array;
    }
    const index = SegmentIndex.fromSections(idxMeta, idxArrays);
    const text = sections.arrays["ids.text"], idEnds = sections.arrays["ids.ends"], idTable = sections.arrays["ids.hash"];
    const metaBlob = sections.arrays["meta.blob"], metaEnds = sections.arrays["meta.ends"];
    const lengths = sections.arrays["docs.lengths"];
    if (lengths !== undefined && !(lengths instanceof Uint32Array)) throw new SparseDbError("CORRUPTION", `segment ${id}: docs.lengths is not a u32 array`);
    // Optional: files written before stored texts, and segments without any text, have neither.
    const textBlob = sections.arrays["docs.text"], textEnds = sections.arrays["docs.textEnds"];
    if (textBlob !== undefined && !(textBlob instanceof Uint8Array)) throw new SparseDbError("CORRUPTION", `segment ${id}: docs.text is not a u8 array`);
    if (textEnds !== undefined && !(textEnds instanceof Uint32Array)) throw new SparseDbError("CORRUPTION", `segment ${id}: docs.textEnds is not a u32 array`);
    if (
      !(text instanceof Uint8Array) ||
      !(idEnds instanceof Uint32Array) ||
      !(idTable instanceof Uint32Array) ||
      !(metaBlob instanceof Uint8Array) ||
      !(metaEnds instanceof Uint32Array)
    ) {
      throw new SparseDbError("CORRUPTION", `segment ${id}: id or metadata sections missing`);
    }
    // Offsets in ids.ends are UTF-16 positions in the decoded string (FORMAT.md).
    return new SegmentReader({ id, index, joinedIds: new TextDecoder().decode(text), idEnds, idTable, metaBlob, metaEnds, lengths: lengths ?? null, textBlob: textBlob ?? null, textEnds: textEnds ?? null, dense: denseFromSections(id, sections) });
  }
}

/** The dense sections (optional: segments without dense vectors, and older files, have none). */
function denseFromSections(id: number, sections: Sections): DenseRows | null {
  const docs = sections.arrays["dense.docs"], vectors = sections.arrays["dense.vectors"], dims = sections.meta["dense.dims"], hnsw = sections.arrays["dense.hnsw"];
  if (docs === undefined && vectors === undefined && dims === undefined && hnsw === undefined) return null;
  if (!(docs instanceof Uint32Array) || !(vectors instanceof Float32Array) || typeof dims !== "number") {
    throw new SparseDbError("CORRUPTION", `segment ${id}: dense.docs (u32), dense.vectors (f32) and meta dense.dims must come together`);
  }
  if (hnsw !== undefined && !(hnsw instanceof Uint8Array)) throw new SparseDbError("CORRUPTION", `segment ${id}: dense.hnsw is not a u8 array`);
  return hnsw === undefined ? { dims, docs, vectors } : { dims, docs, vectors, hnsw };
}

function checkDenseRows(id: number, dense: DenseRows, numDocs: number): void {
  const { dims, docs, vectors } = dense;
  if (!Number.isInteger(dims) || dims < 1 || vectors.length !== docs.length * dims) {
    throw new SparseDbError("CORRUPTION", `segment ${id}: ${docs.length} dense vectors of ${dims} values need ${docs.length * dims} floats, dense.vectors has ${vectors.length}`);
  }
  for (let i = 0; i < docs.length; i++) {
    if (docs[i]! >= numDocs || (i > 0 && docs[i]! <= docs[i - 1]!)) throw new SparseDbError("CORRUPTION", `segment ${id}: dense.docs entry ${i} (${docs[i]}) is out of order or not below the ${numDocs} docs`);
  }
}

const EMPTY = new Uint8Array(0);
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
