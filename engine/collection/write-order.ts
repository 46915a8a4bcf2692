/**
 * The collection's write ordering for read-modify-write operations (setMetadata, delete by
 * filter): they read the live documents and write a log record computed from what they read, so
 * what they read must be the state after every write ordered before their record, and no write
 * may slip in between the read and the append.
 *
 * Appends enter the log in the order they are issued, but under durability "always" a record is
 * applied only after its group's fsync, so at any moment the live state may lag the log. An
 * exclusive section therefore (1) closes the gate that every append checks just before it is
 * issued (`closed`), so no new record is issued; (2) drains the log, after which every
 * record issued before is applied; (3) runs the body, which reads the state and issues its append
 * synchronously; (4) opens the gate. Writes that waited at the gate are issued after the body's
 * record, so they are ordered after it in the log and in the live state alike, and replay of
 * the log rebuilds the same state. Exclusive sections run one at a time.
 */
export class WriteOrder {
  private gate: Promise<void> | null = null;

  /**
   * Whether an exclusive section holds the gate. A writer checks it synchronously right before
   * issuing its append, `while (order.closed) await order.opened();`, so that no await separates
   * the check from the append (an await there would let a section start in between).
   */
  get closed(): boolean {
    return this.gate !== null;
  }

  /** Resolves when the current section opens the gate (check `closed` again after it). */
  opened(): Promise<void> {
    return this.gate ?? Promise.resolve();
  }

  /**
   * Runs `body` with the gate closed, after `drain` (which waits until every issued record is
   * applied). `body` must issue its log append before its first await; it returns the append's
   * outcome, which this awaits after opening the gate.
   */
  async exclusive<T>(drain: () => Promise<void>, body: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise<void>((r) => (open = r));
    let outcome: Promise<T>;
    try {
      await drain();
      outcome = body();
    } finally {
      this.gate = null;
      open();
    }
    return outcome;
  }
}
