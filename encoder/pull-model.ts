import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { SparseDbError } from "../engine/errors.js";

export const DEFAULT_HUB_URL = "https://huggingface.co";

/** What pullModel fetches: the model (first of the candidates the repo has), then the rest. */
export const PULL_MODEL_CANDIDATES = ["onnx/model.onnx", "model.onnx"];
export const PULL_REQUIRED_FILES = ["tokenizer.json"];
export const PULL_OPTIONAL_FILES = ["config.json", "tokenizer_config.json", "special_tokens_map.json"];

export interface PullProgress {
  file: string;
  /** Bytes of this file on disk so far (a resumed download starts above 0). */
  received: number;
  /** The file's size when the server says it. */
  total: number | undefined;
  /** True once the file is complete and checked. */
  done: boolean;
}

export interface PullOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** Where the model folder goes (default ./models/<owner>--<name>). */
  dir?: string;
  /** The hub or a mirror (default $HF_ENDPOINT or https://huggingface.co). */
  baseUrl?: string;
  /** Sent as a bearer token (default $HF_TOKEN), for gated or private repos. */
  token?: string;
  /** Replace an existing folder at dir (atomically) instead of failing. */
  overwrite?: boolean;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
}

export interface PulledFile {
  name: string;
  bytes: number;
  /** How the content was checked: "sha256" (LFS files), "git-sha1" (small files), or "size" / "none". */
  checked: "sha256" | "git-sha1" | "size" | "none";
}

export interface PullResult {
  dir: string;
  /** The commit the revision resolved to, when the hub says (X-Repo-Commit). */
  commit: string | undefined;
  files: PulledFile[];
}

/**
 * Downloads a model folder from a Hugging Face hub (`{base}/{repo}/resolve/{revision}/{file}`):
 * an ONNX export (onnx/model.onnx or model.onnx), tokenizer.json and, where the repo has them,
 * config.json and the tokenizer's side files. Files go into `<dir>.partial/` first; a broken
 * download resumes there with an HTTP Range request on the next run. Each file is checked against
 * the size and hash the hub gives (X-Linked-Size and the sha256 X-Linked-Etag of LFS files, the
 * git blob sha1 ETag of small ones), and the complete folder is renamed into place at once.
 */
export async function pullModel(repo: string, options: PullOptions = {}): Promise<PullResult> {
  if (typeof repo !== "string" || !/^[\w.-]+(\/[\w.-]+)?$/.test(repo)) {
    throw new SparseDbError("INVALID_ARGUMENT", `"${String(repo)}" is not a hub repository name; use owner/name, e.g. naver/splade-v3`);
  }
  const revision = options.revision ?? "main";
  const base = (options.baseUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, "");
  const dir = resolve(options.dir ?? join("models", repo.split("/").join("--")));
  if (existsSync(dir) && !options.overwrite) {
    throw new SparseDbError("ALREADY_EXISTS", `${dir} already exists; remove it, choose another --dir, or pass overwrite to replace it`);
  }
  const partial = `${dir}.partial`;
  mkdirSync(partial, { recursive: true });
  const hub = new HubClient(base, repo, revision, options.token ?? process.env.HF_TOKEN, options.signal);

  const files: PulledFile[] = [];
  let commit: string | undefined;
  let model: string | undefined;
  for (const candidate of PULL_MODEL_CANDIDATES) {
    const info = await hub.head(candidate);
    if (info === undefined) continue;
    model = candidate;
    commit ??= info.commit;
    files.push(await download(hub, candidate, info, partial, options.onProgress));
    break;
  }
  if (model === undefined) {
    throw new SparseDbError("NOT_FOUND", `${repo}@${revision} on ${base} has no ONNX export (${PULL_MODEL_CANDIDATES.join(" or ")}); export the model to ONNX (see encoder/README.md) and load its folder with modelDir`);
  }
  for (const name of [...PULL_REQUIRED_FILES, ...PULL_OPTIONAL_FILES]) {
    const info = await hub.head(name);
    if (info === undefined) {
      if (PULL_REQUIRED_FILES.includes(name)) throw new SparseDbError("NOT_FOUND", `${repo}@${revision} on ${base} has no ${name}; sparsedb needs the model's tokenizer.json`);
      continue;
    }
    commit ??= info.commit;
    files.push(await download(hub, name, info, partial, options.onProgress));
  }
  writeFileSync(join(partial, ".sparsedb-pull.json"), JSON.stringify({ repo, revision, commit, baseUrl: base, files }, null, 2));
  placeAtomically(partial, dir);
  return { dir, commit, files };
}

interface FileInfo {
  url: string;
  size: number | undefined;
  sha256: string | undefined;
  gitSha1: string | undefined;
  commit: string | undefined;
}

class HubClient {
  constructor(
    private readonly base: string,
    private readonly repo: string,
    private readonly revision: string,
    private readonly token: string | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  url(file: string): string {
    return `${this.base}/${this.repo}/resolve/${encodeURIComponent(this.revision)}/${file}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), "user-agent": "sparsedb", ...extra };
  }

  async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: this.signal });
    } catch (err) {
      if (this.signal?.aborted) throw new SparseDbError("CANCELLED", "model pull was cancelled", { cause: err });
      throw new SparseDbError("IO_ERROR", `cannot reach ${url}: ${(err as Error).message}; check the network or set --base-url / HF_ENDPOINT to a mirror`, { cause: err });
    }
  }

  /**
   * The file's size and hashes, from a HEAD that does not follow the hub's redirect to its
   * storage (the redirect carries X-Linked-Size and X-Linked-Etag); undefined on 404.
   */
  async head(file: string): Promise<FileInfo | undefined> {
    const url = this.url(file);
    const res = await this.fetch(url, { method: "HEAD", redirect: "manual", headers: this.headers({ "accept-encoding": "identity" }) });
    if (res.status === 404) return undefined;
    if (res.status === 401 || res.status === 403) {
      throw new SparseDbError("UNAUTHORIZED", `${url} answered ${res.status}; the repository is gated or private: pass a token (HF_TOKEN)`);
    }
    if (res.status >= 400) throw new SparseDbError("IO_ERROR", `${url} answered HTTP ${res.status} ${res.statusText}`);
    const etag = unquote(res.headers.get("x-linked-etag") ?? res.headers.get("etag"));
    const sizeHeader = res.headers.get("x-linked-size") ?? (res.status < 300 ? res.headers.get("content-length") : null);
    return {
      url,
      size: sizeHeader !== null ? Number(sizeHeader) : undefined,
      sha256: etag !== undefined && /^[0-9a-f]{64}$/.test(etag) ? etag : undefined,
      gitSha1: etag !== undefined && /^[0-9a-f]{40}$/.test(etag) ? etag : undefined,
      commit: res.headers.get("x-repo-commit") ?? undefined,
    };
  }
}

function unquote(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase();
}

async function download(hub: HubClient, name: string, info: FileInfo, partial: string, onProgress?: (p: PullProgress) => void): Promise<PulledFile> {
  const target = join(partial, name);
  const part = `${target}.part`;
  mkdirSync(dirname(target), { recursive: true });
  if (existsSync(target)) {
    const verdict = await check(target, info);
    if (verdict !== "mismatch") {
      onProgress?.({ file: name, received: statSync(target).size, total: info.size, done: true });
      return { name, bytes: statSync(target).size, checked: verdict };
    }
    rmSync(target);
  }
  let have = existsSync(part) ? statSync(part).size : 0;
  if (info.size !== undefined && have > info.size) {
    rmSync(part);
    have = 0;
  }
  if (info.size === undefined || have < info.size) {
    const res = await hub.fetch(info.url, { headers: hub.headers(have > 0 ? { range: `bytes=${have}-` } : {}) });
    if (res.status !== 200 && res.status !== 206) {
      throw new SparseDbError("IO_ERROR", `downloading ${info.url} failed: HTTP ${res.status} ${res.statusText}`);
    }
    if (res.status === 200) have = 0; // the server ignored the range: start over
    const out = createWriteStream(part, { flags: have > 0 ? "a" : "w" });
    let received = have;
    let lastReport = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
        received += chunk.byteLength;
        const now = Date.now();
        if (onProgress && now - lastReport > 100) {
          lastReport = now;
          onProgress({ file: name, received, total: info.size, done: false });
        }
      }
    } catch (err) {
      throw new SparseDbError("IO_ERROR", `downloading ${name} broke off after ${received} bytes (${(err as Error).message}); run the pull again to resume`, { cause: err });
    } finally {
      await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
    }
  }
  const verdict = await check(part, info);
  if (verdict === "mismatch") {
    rmSync(part);
    throw new SparseDbError("CORRUPTION", `${name} from ${info.url} does not match the ${info.sha256 ? "sha256" : info.gitSha1 ? "git sha1" : "size"} the hub gives; the partial file was removed, run the pull again`);
  }
  renameSync(part, target);
  const bytes = statSync(target).size;
  onProgress?.({ file: name, received: bytes, total: info.size ?? bytes, done: true });
  return { name, bytes, checked: verdict };
}

/** Checks a file against the hub's size and hash. */
async function check(path: string, info: FileInfo): Promise<PulledFile["checked"] | "mismatch"> {
  const size = statSync(path).size;
  if (info.size !== undefined && size !== info.size) return "mismatch";
  if (info.sha256 !== undefined) return (await hashFile(path, "sha256")) === info.sha256 ? "sha256" : "mismatch";
  if (info.gitSha1 !== undefined) return (await hashFile(path, "sha1", `blob ${size}\0`)) === info.gitSha1 ? "git-sha1" : "mismatch";
  return info.size !== undefined ? "size" : "none";
}

async function hashFile(path: string, algorithm: "sha256" | "sha1", prefix = ""): Promise<string> {
  const h = createHash(algorithm);
  h.update(prefix);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Renames the complete folder into place; an existing one is swapped out and removed after. */
function placeAtomically(partial: string, dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}`;
    renameSync(dir, old);
    renameSync(partial, dir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(partial, dir);
  }
}
