import type { EncoderConfig } from "../../encoder/index.js";
import type { RemoteCollection } from "../client/remote-collection.js";
import { Collection } from "../collection.js";
import type { DocumentInput } from "../requests.js";
import type { Vocabulary } from "../vocabulary.js";
import type { CliIo } from "./cli-io.js";
import { openTarget, type Target } from "./target.js";

/**
 * Where a command's documents go (`ingest`, and `import`): a collection in a folder opened in
 * this process (bulk-loaded into segments, or upserted batch by batch through the write-ahead
 * log), or a collection on a running server (upserted batch by batch through SparseClient, a
 * bounded number of requests in flight). The sink creates the collection when it does not exist
 * and, if it created it and nothing was written, drops it again on close, so a failed run leaves
 * no new empty collection behind.
 */
export interface DocumentSink {
  /** The collection's vocabulary (a server's fetched once), for token vectors parsed here; undefined when it has none. */
  readonly vocabulary: Vocabulary | undefined;
  readonly encoderDescription: string;
  /** Whether this sink made the collection. */
  readonly created: boolean;
  /** "bulk": segments without the log (a local folder only); "batches": atomic upserts of `batchSize` documents. */
  readonly mode: "bulk" | "batches";
  /** Where, for messages: the folder or HOST:PORT. */
  readonly where: string;
  /**
   * Writes the documents in order. `onWritten(total)` is called each time more are durable
   * (per the collection's durability): after each segment commit in bulk mode, after each
   * acknowledged batch otherwise. Stops pulling documents at the first failure and throws it
   * once the writes in flight have ended; what `onWritten` last reported stays written. When
   * `stopped()` is true once the documents end (an interrupt), a last partial batch is not sent.
   */
  write(docs: AsyncIterable<DocumentInput>, onWritten: (total: number) => void, stopped?: () => boolean): Promise<void>;
  count(): Promise<number>;
  /**
   * Closes the target. When this sink created the collection and `written` is 0, drops it and
   * returns a sentence saying so; when it created it and documents were written, returns a
   * sentence saying the collection stays. Undefined otherwise.
   */
  close(written: number): Promise<string | undefined>;
}

export interface SinkOptions {
  name: string;
  /** The encoder a new collection gets (undefined: the database's default). */
  encoder: EncoderConfig | undefined;
  /** Config fields a new collection gets besides its encoder (e.g. `--metric`'s). */
  config?: Record<string, unknown>;
  /** Bulk-load into segments when the target is a local folder. */
  bulk: boolean;
  batchSize: number;
  /** Documents per bulk segment; undefined: the store's memory-sized default. */
  segmentDocs: number | undefined;
  /** Most upserts in flight at once (backpressure). */
  maxInFlight: number;
}

/** Opens `--dir` or `--connect` (target.ts) and the named collection, creating it if needed. */
export async function openDocumentSink(values: Record<string, unknown>, io: CliIo, o: SinkOptions): Promise<DocumentSink> {
  const target = await openTarget(values, io, { create: true });
  try {
    const exists = (await target.listCollections()).some((c) => c.name === o.name);
    let collection: Collection | RemoteCollection;
    if (exists) {
      collection = await target.collection(o.name);
      if (o.encoder !== undefined) io.stderr.write(`note: collection "${o.name}" exists; it keeps its own encoder (${collection.encoderDescription})\n`);
    } else {
      collection = await target.createCollection(o.name, { ...(o.encoder === undefined ? {} : { encoder: o.encoder }), ...o.config });
      io.stderr.write(`created collection "${o.name}" with encoder: ${collection.encoderDescription}\n`);
    }
    return new TargetSink(target, collection, await collection.vocabulary(), !exists, o);
  } catch (e) {
    await target.close();
    throw e;
  }
}

class TargetSink implements DocumentSink {
  readonly mode: "bulk" | "batches";

  constructor(
    private readonly target: Target,
    private readonly collection: Collection | RemoteCollection,
    readonly vocabulary: Vocabulary | undefined,
    readonly created: boolean,
    private readonly o: SinkOptions,
  ) {
    this.mode = o.bulk && collection instanceof Collection ? "bulk" : "batches";
  }

  get encoderDescription(): string {
    return this.collection.encoderDescription;
  }

  get where(): string {
    return this.target.where;
  }

  async write(docs: AsyncIterable<DocumentInput>, onWritten: (total: number) => void, stopped: () => boolean = () => false): Promise<void> {
    const c = this.collection;
    if (this.mode === "bulk" && c instanceof Collection) {
      await c.bulkLoad(docs, { segmentDocs: this.o.segmentDocs, onCommit: ({ committedDocs }) => onWritten(committedDocs) });
      return;
    }
    await writeBatches(c, docs, this.o, onWritten, stopped);
    if (!stopped()) await c.flush();
  }

  count(): Promise<number> {
    return this.collection.count();
  }

  async close(written: number): Promise<string | undefined> {
    try {
      if (!this.created) return undefined;
      if (written > 0) return `collection "${this.o.name}" (created by this run) keeps the ${written} documents written`;
      // Another client of a server may have written into it meanwhile: then it stays.
      if ((await this.collection.count().catch(() => 1)) > 0) return undefined;
      await this.target.dropCollection(this.o.name);
      return `removed collection "${this.o.name}", which this run created: nothing was written to it`;
    } finally {
      await this.target.close();
    }
  }
}

/**
 * Upserts in batches with at most `maxInFlight` unacknowledged at once: a local collection's
 * group commit shares fsyncs among them, a server pipelines them, and a slow server slows the
 * reading instead of letting requests pile up in memory.
 */
export async function writeBatches(
  collection: Collection | RemoteCollection,
  docs: AsyncIterable<DocumentInput>,
  o: { batchSize: number; maxInFlight: number },
  onWritten: (total: number) => void,
  stopped: () => boolean,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let written = 0;
  const send = (batch: DocumentInput[]): void => {
    const p: Promise<void> = collection
      .upsert(batch)
      .then(
        () => {
          written += batch.length;
          onWritten(written);
        },
        (e: unknown) => {
          failure ??= { error: e };
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  let batch: DocumentInput[] = [];
  for await (const doc of docs) {
    if (failure !== undefined) break;
    batch.push(doc);
    if (batch.length >= o.batchSize) {
      send(batch);
      batch = [];
      while (inFlight.size >= o.maxInFlight && failure === undefined) await Promise.race(inFlight);
    }
  }
  if (batch.length > 0 && failure === undefined && !stopped()) send(batch);
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.error;
}
