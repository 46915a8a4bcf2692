import { SparseDbError } from "../engine/errors.js";
import { writeFully, type FileSystem, type WritableFile } from "./file-system.js";
import { ioError } from "./storage-error.js";
import { encodeWalHeader, encodeWalRecord, sealWalRecord, WAL_HEADER_BYTES } from "./wal-format.js";

/**
 * always: an append resolves after its record is written and fsynced (group commit).
 * batch:  an append is applied and resolves at once; the log writes queued records right away
 *         and fsyncs every batchIntervalMs, so about that much acknowledged data is at risk in a
 *         crash or power loss.
 * off:    like batch, but the log never fsyncs (the OS writes back when it likes).
 */
export type Durability = "always" | "batch" | "off";

/** batch/off: appends beyond this many unwritten bytes wait for the write (backpressure). */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

interface PendingAppend {
  bytes: Uint8Array;
  apply: () => void;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Appends records to one log file with group commit: appends that arrive while a write+fsync is
 * in flight queue up and go to disk together in the next single write and fsync, so N concurrent
 * writers pay for far fewer than N fsyncs.
 *
 * Each append carries an `apply` callback, run synchronously once its record is durable (per the
 * mode) and in log order, before the append's promise resolves: this is where the caller makes
 * the write visible, so nothing is visible that the log does not hold, and a failed append is
 * never applied.
 *
 * A failed write or fsync truncates the file back to the last good record and rejects every
 * append of that group; the log stays usable.
 */
export class WalWriter {
  private queue: PendingAppend[] = [];
  private writing: Promise<void> | null = null;
  private length: number;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private broken: unknown = null;
  /** Bytes appended but not yet written. */
  private queuedBytes = 0;
  /** batch/off: the error of a failed background write, reported by the next append. */
  private asyncError: unknown = null;

  private constructor(
    private readonly file: WritableFile,
    length: number,
    readonly durability: Durability,
    batchIntervalMs: number,
  ) {
    this.length = length;
    if (durability === "batch") {
      this.timer = setInterval(() => {
        if (this.dirty && !this.writing) this.sync().catch(() => undefined);
      }, Math.max(1, batchIntervalMs));
      this.timer.unref();
    }
  }

  get path(): string {
    return this.file.path;
  }

  /** Bytes in the log, header included. */
  get size(): number {
    return this.length;
  }

  /** Creates a new, empty log (header fsynced, directory entry fsynced). */
  static async create(fs: FileSystem, dir: string, path: string, durability: Durability, batchIntervalMs = 10): Promise<WalWriter> {
    let file: WritableFile | null = null;
    try {
      file = await fs.open(path, "truncate");
      await writeFully(file, encodeWalHeader(), 0);
      await file.sync();
      await fs.syncDir(dir);
    } catch (e) {
      await file?.close().catch(() => undefined);
      throw ioError(`creating write-ahead log ${path}`, e);
    }
    return new WalWriter(file, WAL_HEADER_BYTES, durability, batchIntervalMs);
  }

  /** Reopens an existing log to append after its first `validLength` bytes (truncating a torn tail). */
  static async reopen(fs: FileSystem, path: string, validLength: number, durability: Durability, batchIntervalMs = 10): Promise<WalWriter> {
    let file: WritableFile | null = null;
    try {
      file = await fs.open(path, "update");
      if ((await file.size()) !== validLength) {
        await file.truncate(validLength);
        await file.sync();
      }
    } catch (e) {
      await file?.close().catch(() => undefined);
      throw ioError(`reopening write-ahead log ${path}`, e);
    }
    return new WalWriter(file, validLength, durability, batchIntervalMs);
  }

  /** Queues a record; see the class comment for when `apply` runs and the promise settles. */
  append(type: number, payload: Uint8Array, apply: () => void): Promise<void> {
    try {
      return this.appendSealed(encodeWalRecord(type, payload), apply);
    } catch (e) {
      return Promise.reject(e); // a record the reader would refuse (checkWalRecord): never applied
    }
  }

  /**
   * Like append, for a record built in place with WAL_RECORD_HEADER_BYTES of room before its
   * payload (see sealWalRecord): no copy.
   */
  appendInPlace(type: number, record: Uint8Array, apply: () => void): Promise<void> {
    try {
      return this.appendSealed(sealWalRecord(type, record), apply);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private appendSealed(bytes: Uint8Array, apply: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new SparseDbError("CLOSED", "the write-ahead log is closed; reopen the collection"));
    if (this.broken) return Promise.reject(ioError(`appending to ${this.path} (log unusable after a failed truncate)`, this.broken));
    if (this.durability !== "always") {
      // Acknowledged now (see Durability). A background write that fails is reported by the
      // next append, which is rejected with that error.
      if (this.asyncError !== null) {
        const e = this.asyncError;
        this.asyncError = null;
        return Promise.reject(ioError(`appending to write-ahead log ${this.path} (an earlier buffered write failed; its records were not logged)`, e));
      }
      this.queuedBytes += bytes.length;
      apply();
      let done: Promise<void> = Promise.resolve();
      if (this.queuedBytes <= MAX_QUEUED_BYTES) {
        this.queue.push({ bytes, apply: () => undefined, resolve: () => undefined, reject: (e) => (this.asyncError ??= e) });
      } else {
        // Backpressure: a writer that never yields would otherwise queue without bound; this
        // append resolves once its own bytes are written (it is applied already).
        done = new Promise<void>((resolve) => {
          this.queue.push({ bytes, apply: () => undefined, resolve, reject: (e) => ((this.asyncError ??= e), resolve()) });
        });
      }
      if (!this.writing) this.writing = this.drain();
      return done;
    }
    this.queuedBytes += bytes.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, apply, resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // Let every append issued in this turn of the event loop join the group: writers woken by
      // the previous group's fsync re-append one by one, and without this pause the first of
      // them would go to disk alone.
      await new Promise((r) => setImmediate(r));
      const group = this.queue;
      this.queue = [];
      let total = 0;
      for (const p of group) total += p.bytes.length;
      this.queuedBytes -= total;
      const buf = group.length === 1 ? group[0]!.bytes : new Uint8Array(total);
      if (group.length > 1) {
        let o = 0;
        for (const p of group) {
          buf.set(p.bytes, o);
          o += p.bytes.length;
        }
      }
      try {
        if (total > 0) {
          await writeFully(this.file, buf, this.length);
          if (this.durability === "always") await this.file.sync();
          else this.dirty = true;
        }
      } catch (e) {
        await this.rollBack();
        const err = ioError(`appending to write-ahead log ${this.path}`, e);
        for (const p of group) p.reject(err);
        continue;
      }
      this.length += total;
      for (const p of group) {
        try {
          p.apply();
          p.resolve();
        } catch (e) {
          p.reject(e);
        }
      }
    }
    this.writing = null;
  }

  /** Cuts a partly written group off so the log ends at the last acknowledged record. */
  private async rollBack(): Promise<void> {
    try {
      await this.file.truncate(this.length);
    } catch (e) {
      this.broken = e;
    }
  }

  /**
   * Waits for the appends queued before this call (not later ones, so a steady stream of writers
   * cannot starve it), then fsyncs if anything written is not yet durable.
   */
  async sync(): Promise<void> {
    if (this.queue.length > 0 || this.writing) {
      await new Promise<void>((resolve, reject) => {
        this.queue.push({ bytes: new Uint8Array(0), apply: () => undefined, resolve, reject });
        if (!this.writing) this.writing = this.drain();
      });
    }
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.file.sync();
    } catch (e) {
      this.dirty = true;
      throw ioError(`syncing write-ahead log ${this.path}`, e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.sync();
    } finally {
      this.closed = true;
      await this.file.close().catch(() => undefined);
    }
  }

  /** Closes without syncing (used when the log's contents are already in a committed segment). */
  async abandon(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.writing) await this.sync().catch(() => undefined);
    this.closed = true;
    await this.file.close().catch(() => undefined);
  }
}
