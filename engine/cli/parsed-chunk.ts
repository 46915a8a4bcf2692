/**
 * What a byte-chunk parser (anserini-chunk-parser.ts, json-chunk-parser.ts) makes of one chunk of
 * an input file: flat typed arrays that a worker thread transfers back without a structured clone
 * of per-document objects. Ids travel as one UTF-8 blob (each id followed by a newline, which no
 * id holds since lines end there), decoded and split once per chunk by chunkIds.
 */
export interface ParsedChunk {
  /** Lines in the chunk (a last line without a newline counted too). */
  lineCount: number;
  /** The documents' ids, each followed by "\n" (UTF-8). */
  idBytes: Uint8Array;
  /** Each document's line number, counted from 1 within the chunk. */
  lines: Uint32Array;
  /** Document d's postings are [offsets[d], offsets[d + 1]). */
  offsets: Uint32Array;
  /** Strictly increasing within a document, below the vocabulary size. */
  terms: Uint32Array;
  /** Finite and > 0 (float32). */
  weights: Float32Array;
  /** Bad lines (line within the chunk, what is wrong), in order. */
  errors: { line: number; message: string }[];
  /** Lines the fast path leaves to the line parser (input-formats.ts), with their text, in order. */
  slow: { line: number; text: string }[];
}

const NEWLINE = 0x0a;
/** ignoreBOM: a byte order mark inside an id stays, as the line path's Buffer decoding keeps it. */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The chunk's document ids, in order. */
export function chunkIds(c: ParsedChunk): string[] {
  if (c.idBytes.length === 0) return [];
  return decoder.decode(c.idBytes.subarray(0, c.idBytes.length - 1)).split("\n");
}

/** The buffers a worker transfers with a ParsedChunk. */
export function chunkTransferList(c: ParsedChunk): ArrayBuffer[] {
  return [c.idBytes.buffer, c.lines.buffer, c.offsets.buffer, c.terms.buffer, c.weights.buffer] as ArrayBuffer[];
}

/** Growable flat arrays of a chunk's documents. */
export class ChunkOutput {
  private idBytes = new Uint8Array(1 << 16);
  private idLength = 0;
  private lines = new Uint32Array(1024);
  private offsets = new Uint32Array(1025);
  private terms: Uint32Array;
  private weights: Float32Array;
  private docs = 0;
  private postings = 0;
  private readonly errors: { line: number; message: string }[] = [];
  private readonly slow: { line: number; text: string }[] = [];

  constructor(chunkBytes: number) {
    // A posting takes a token and a separator at least, usually more.
    const guess = Math.max(1024, Math.ceil(chunkBytes / 16));
    this.terms = new Uint32Array(guess);
    this.weights = new Float32Array(guess);
  }

  error(line: number, message: string): void {
    this.errors.push({ line, message });
  }

  slowLine(line: number, text: string): void {
    this.slow.push({ line, text });
  }

  /** A document whose id is bytes[from..to), with at most maxPostings postings to come. */
  startDocument(bytes: Uint8Array, from: number, to: number, line: number, maxPostings: number): void {
    if (this.docs + 1 >= this.lines.length) {
      this.lines = grow(this.lines, this.lines.length * 2);
      this.offsets = grow(this.offsets, this.lines.length + 1);
    }
    if (this.postings + maxPostings > this.terms.length) {
      const size = Math.max(this.terms.length * 2, this.postings + maxPostings);
      this.terms = grow(this.terms, size);
      this.weights = grow(this.weights, size);
    }
    const n = to - from;
    if (this.idLength + n + 1 > this.idBytes.length) {
      const b = new Uint8Array(Math.max(this.idBytes.length * 2, this.idLength + n + 1));
      b.set(this.idBytes.subarray(0, this.idLength));
      this.idBytes = b;
    }
    const ids = this.idBytes;
    let at = this.idLength;
    for (let k = from; k < to; k++) ids[at++] = bytes[k]!;
    ids[at++] = NEWLINE;
    this.idLength = at;
    this.lines[this.docs] = line;
  }

  posting(term: number, weight: number): void {
    this.terms[this.postings] = term;
    this.weights[this.postings++] = weight;
  }

  endDocument(): void {
    this.offsets[++this.docs] = this.postings;
  }

  /** Forgets the document started last (its id and postings). */
  dropDocument(): void {
    this.postings = this.offsets[this.docs]!;
    let at = this.idLength - 1;
    while (at > 0 && this.idBytes[at - 1] !== NEWLINE) at--;
    this.idLength = at;
  }

  finish(lineCount: number): ParsedChunk {
    return {
      lineCount,
      idBytes: this.idBytes.slice(0, this.idLength),
      lines: this.lines.slice(0, this.docs),
      offsets: this.offsets.slice(0, this.docs + 1),
      terms: this.terms.slice(0, this.postings),
      weights: this.weights.slice(0, this.postings),
      errors: this.errors,
      slow: this.slow,
    };
  }
}

function grow<T extends Uint32Array | Float32Array>(a: T, size: number): T {
  const b = (a instanceof Uint32Array ? new Uint32Array(size) : new Float32Array(size)) as T;
  b.set(a);
  return b;
}
