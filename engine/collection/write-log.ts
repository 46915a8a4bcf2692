import type { FileSystem } from "../../storage/file-system.js";
import { WalWriter, type Durability } from "../../storage/wal-writer.js";
import { walFileName } from "./directory-files.js";
import type { LiveState } from "./live-state.js";
import type { Memtable } from "./memtable.js";

/**
 * The collection's write-ahead logs: the one being written, the older ones whose records may not
 * be in a committed segment or deletion file yet (`liveLogs`), and which log the memtable's
 * oldest record came from. A write is appended here first and applied to the live state once
 * the log holds it (WalWriter decides when, per durability mode). The segment set removes logs
 * a commit made unnecessary.
 */
export class WriteLog {
  /** Log numbers that may hold records not yet in a committed segment or bitset, ascending. */
  liveLogs: number[];
  /** Oldest log whose records may be in the memtable. */
  memtableFirstLog: number;
  /**
   * For each frozen memtable a background flush is building (flusher.ts), the oldest log its
   * records may be in: a commit made meanwhile (another flush's, a merge's) must keep those logs.
   */
  readonly frozenFirstLogs = new Set<number>();
  private rotating: Promise<void> | null = null;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private wal: WalWriter,
    private number: number,
    liveLogs: number[],
    private readonly durability: Durability,
    private readonly batchIntervalMs: number,
  ) {
    this.liveLogs = liveLogs;
    this.memtableFirstLog = liveLogs[0] ?? number;
  }

  /** The oldest log a commit must keep: records in it may be in no committed file yet. */
  get oldestNeeded(): number {
    return Math.min(this.memtableFirstLog, ...this.frozenFirstLogs);
  }

  /** The number of the log being written. */
  get current(): number {
    return this.number;
  }

  get size(): number {
    return this.wal.size;
  }

  /**
   * Appends one record, then runs `apply` (which changes the live state) in log order. Waits for
   * a rotation first. `inPlace`: `payload` has WAL_RECORD_HEADER_BYTES of room in front.
   */
  async append(type: number, payload: Uint8Array, apply: () => void, inPlace: boolean, checkOpen: () => void): Promise<void> {
    while (this.rotating) await this.rotating;
    checkOpen();
    await (inPlace ? this.wal.appendInPlace(type, payload, apply) : this.wal.append(type, payload, apply));
  }

  /** Waits until every record appended so far is written and fsynced. */
  async sync(): Promise<void> {
    while (this.rotating) await this.rotating; // a rotation fsyncs the old log before switching
    await this.wal.sync();
  }

  /**
   * Waits until every append issued so far is applied (or has failed), forcing no fsync of its
   * own: in "batch" and "off" an append is applied when it is issued (once a rotation it waits
   * for ends); in "always" after its group's write and fsync, which the log's queue order lets
   * a sync marker wait for (write-order.ts's drain).
   */
  async applied(): Promise<void> {
    while (this.rotating) await this.rotating;
    if (this.durability === "always") await this.wal.sync();
  }

  /** Fsyncs the current log without waiting for a rotation (callers hold the commit lock). */
  syncCurrent(): Promise<void> {
    return this.wal.sync();
  }

  /**
   * Starts log `n` and hands back the memtable filled from the old one(s). Appends wait while
   * this runs, so the log order and the order writes were applied in stay the same.
   */
  async rotate(n: number, live: LiveState): Promise<{ frozen: Memtable; firstLog: number }> {
    let done!: () => void;
    this.rotating = new Promise((r) => (done = r));
    try {
      const path = `${this.dir}/${walFileName(n)}`;
      const next = await WalWriter.create(this.fs, this.dir, path, this.durability, this.batchIntervalMs);
      try {
        await this.wal.sync(); // drains appends queued on the old log into the old memtable
      } catch (e) {
        await next.abandon();
        await this.fs.unlink(path).catch(() => undefined);
        throw e;
      }
      await this.wal.abandon();
      const firstLog = this.memtableFirstLog;
      // Searched and deletable from here on: writes waiting for the rotation run as soon as it
      // ends (before this function's caller resumes), and in batch/off they apply at once, so
      // a write replacing one of its documents must find it here.
      const frozen = live.freezeMemtable();
      this.wal = next;
      this.number = n;
      this.memtableFirstLog = n;
      this.liveLogs.push(n);
      return { frozen, firstLog };
    } finally {
      this.rotating = null;
      done();
    }
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}
