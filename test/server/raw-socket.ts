import { connect, type Socket } from "node:net";
import { decodeBody, encodeFrame, FrameDecoder } from "../../engine/server/frame.js";

/** A bare protocol connection for tests that need to send exact bytes. */
export class RawConnection {
  private readonly decoder = new FrameDecoder(1 << 30);
  private readonly replies: unknown[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  /** Replies decoded so far, taken by next() or not. */
  received = 0;
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const p of this.decoder.push(chunk)) {
        this.replies.push(decodeBody(p));
        this.received++;
      }
      this.wake();
    });
    socket.on("error", () => undefined);
    this.whenClosed = new Promise((resolve) =>
      socket.on("close", () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port });
      s.once("connect", () => resolve(new RawConnection(s)));
      s.once("error", reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  request(id: unknown, op: string, args: Record<string, unknown> = {}): void {
    this.write(encodeFrame({ id, op, args }));
  }

  /** The next reply, or undefined when the connection closed first. Bounded by timeoutMs. */
  async next(timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error("no reply in time");
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.replies.shift();
  }

  async collect(n: number, timeoutMs = 5000): Promise<any[]> {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
