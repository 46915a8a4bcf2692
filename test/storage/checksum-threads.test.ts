import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { crc32c } from "../../storage/crc32c.js";

/**
 * Worker threads run compiled JS, so this checks the compiled module (dist/, built by `npm test`)
 * on a buffer large enough to be split across threads; skipped when dist/ is absent.
 */
const compiled = join(process.cwd(), "dist/storage/checksum-threads.js");

describe("parallel checksum verification", () => {
  it.skipIf(!existsSync(compiled))("finds a corrupted chunk in any thread's share, and passes intact data", async () => {
    const { verifyInParallel } = (await import(pathToFileURL(compiled).href)) as typeof import("../../storage/checksum-threads.js");
    const size = 64 * 1024 * 1024;
    const buf = new Uint8Array(new SharedArrayBuffer(size));
    for (let i = 0; i < size; i += 4096) buf[i] = (i * 2654435761) >>> 24;
    const chunk = 4 * 1024 * 1024;
    const checks = Array.from({ length: size / chunk }, (_, c) => ({ offset: c * chunk, length: chunk, crc: crc32c(buf.subarray(c * chunk, (c + 1) * chunk)), c }));
    expect(await verifyInParallel(buf, checks)).toBeNull();
    for (const victim of [0, checks.length - 1]) {
      buf[victim * chunk + 100]! ^= 1;
      expect((await verifyInParallel(buf, checks))?.c).toBe(victim);
      buf[victim * chunk + 100]! ^= 1;
    }
  }, 60_000);
});
