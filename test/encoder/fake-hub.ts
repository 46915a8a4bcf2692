import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";

export interface FakeHubOptions {
  /** Files (relative paths) served as LFS: a 302 to /cdn/<sha256> with X-Linked-Etag / X-Linked-Size. */
  lfs: string[];
  /** Cut the connection after this many bytes of this file, the first time it is requested. */
  breakOnce?: { file: string; afterBytes: number };
  /** Serve these files with one byte flipped (size unchanged). */
  corrupt?: string[];
}

export interface FakeHub {
  url: string;
  /** The Range headers the server saw, per file. */
  ranges: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for the Hugging Face hub on 127.0.0.1: serves a model folder as repo `repo` at
 * revision `rev` in the hub's URL layout (`/{repo}/resolve/{rev}/{file}`), with the hub's
 * headers (ETag git sha1 for small files; 302 + X-Linked-Etag sha256 + X-Linked-Size for LFS
 * files; X-Repo-Commit), Range requests, and faults on demand.
 */
export async function startFakeHub(folder: string, repo: string, rev: string, o: FakeHubOptions): Promise<FakeHub> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(relative(folder, p), readFileSync(p));
    }
  };
  walk(folder);
  const bySha = new Map<string, string>();
  for (const [name, data] of files) bySha.set(createHash("sha256").update(data).digest("hex"), name);
  const ranges: string[] = [];
  let broken = false;
  const prefix = `/${repo}/resolve/${rev}/`;

  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? "");
    let name: string | undefined;
    if (url.startsWith(prefix)) {
      name = url.slice(prefix.length);
      const data = files.get(name);
      if (!data) return void res.writeHead(404, { "x-error-code": "EntryNotFound" }).end("Entry not found");
      res.setHeader("x-repo-commit", "0123456789abcdef0123456789abcdef01234567");
      if (o.lfs.includes(name)) {
        const sha = createHash("sha256").update(data).digest("hex");
        res.writeHead(302, { location: `/cdn/${sha}`, "x-linked-etag": `"${sha}"`, "x-linked-size": String(data.length), etag: `"${sha}"` });
        return void res.end();
      }
      const sha1 = createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
      res.setHeader("etag", `"${sha1}"`);
    } else if (url.startsWith("/cdn/")) {
      name = bySha.get(url.slice(5));
    }
    const data = name !== undefined ? files.get(name) : undefined;
    if (name === undefined || data === undefined) return void res.writeHead(404).end();
    let body = data;
    if (o.corrupt?.includes(name)) {
      body = Buffer.from(data);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    const range = req.headers.range;
    if (range) {
      ranges.push(`${name} ${range}`);
      start = Number(/bytes=(\d+)-/.exec(range)![1]);
    }
    const headers = { "content-length": String(body.length - start), "accept-ranges": "bytes" };
    if (req.method === "HEAD") return void res.writeHead(200, headers).end();
    if (range) res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${body.length - 1}/${body.length}` });
    else res.writeHead(200, headers);
    if (o.breakOnce && o.breakOnce.file === name && !broken) {
      broken = true;
      res.write(body.subarray(start, start + o.breakOnce.afterBytes), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ranges,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
