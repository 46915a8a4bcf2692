import { connect, type Socket } from "node:net";
import { encodeFrame } from "../../engine/server/frame.js";

/**
 * `node hostile-clients.js PORT`: the hostile side of bench/server's hostile scenario, run as a
 * child process: 20 idle, 5 slow-header, 5 tiny-chunk and 5 garbage connections to
 * 127.0.0.1:PORT. Prints "ready" once they are started; on SIGTERM stops them and prints
 * "garbage closed N" (garbage connections the server closed).
 */
function startHostileClients(port: number): { stop(): Promise<number> } {
  const sockets = new Set<Socket>();
  const timers: NodeJS.Timeout[] = [];
  let stopped = false, garbageClosed = 0;
  const open = (): Socket => {
    const s = connect({ host: "127.0.0.1", port });
    s.setNoDelay(true);
    s.on("error", () => undefined);
    s.on("data", () => undefined);
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    return s;
  };
  // Idle: connect and say nothing.
  for (let i = 0; i < 20; i++) open();
  // Slow header: a frame header announcing 60 KB, one byte every 200 ms, then its body the same way.
  const header = Buffer.alloc(4);
  header.writeUInt32BE(60_000);
  for (let i = 0; i < 5; i++) {
    const s = open();
    let sent = 0;
    timers.push(setInterval(() => {
      if (!s.destroyed) s.write(sent < 4 ? header.subarray(sent, sent + 1) : Buffer.of(0x90));
      sent++;
    }, 200));
  }
  // Tiny chunks: whole ping frames, but written one byte per write, as fast as timers allow.
  const ping = encodeFrame({ id: 7, op: "ping", args: {} });
  for (let i = 0; i < 5; i++) {
    const s = open();
    let at = 0;
    timers.push(setInterval(() => {
      if (!s.destroyed) s.write(ping.subarray(at % ping.length, (at % ping.length) + 1));
      at++;
    }, 1));
  }
  // Garbage: random bytes; the server closes the connection, and the client comes back.
  let seed = 12345;
  const garbage = (): void => {
    if (stopped) return;
    const s = open();
    const bytes = Buffer.alloc(1024);
    for (let j = 0; j < bytes.length; j++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[j] = seed >>> 24;
    }
    s.on("connect", () => s.write(bytes));
    s.on("close", () => {
      garbageClosed++;
      if (!stopped) setTimeout(garbage, 20);
    });
  };
  for (let i = 0; i < 5; i++) garbage();
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await sleep(50);
      return garbageClosed;
    },
  };
}


function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: node hostile-clients.js PORT");
  process.exit(2);
}
const clients = startHostileClients(port);
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void clients.stop().then((closed) => {
    process.stdout.write(`garbage closed ${closed}\n`);
    process.exit(0);
  });
});
