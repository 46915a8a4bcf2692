import { fileURLToPath } from "node:url";
import { runUntilKilled } from "./kill-child.js";
import { CollectionStore } from "../../engine/collection/collection-store.js";
import { SOAK_DENSE } from "./soak-dense.js";

export interface CrashSoakReport {
  iterations: number;
  /** Upserts the child saw resolve before it was killed. */
  acknowledged: number;
  /** Acknowledged upserts missing after reopening (or present only in an older version). */
  lost: number;
  /** Iterations after which the collection could not be opened. */
  unopenable: number;
  /** Documents whose stored vector or metadata matches no version ever attempted. */
  corruptApplied: number;
}

interface Attempt {
  terms: number[];
  weights: number[];
  dense: number[] | null;
}

const WRITER = fileURLToPath(new URL("./crash-writer.js", import.meta.url));

/** Runs the child until `killAfterMs` after it is ready, SIGKILLs it, and returns its stdout lines. */
export function runAndKill(dir: string, tag: string, killAfterMs: number): Promise<string[]> {
  return runUntilKilled(WRITER, [dir, tag], killAfterMs, "crash writer");
}

/**
 * Runs `iterations` rounds of: start a writer child, SIGKILL it at a random moment, reopen the
 * collection here and check every acknowledged upsert (accumulated over all rounds).
 */
export async function crashSoak(dir: string, iterations: number, maxKillMs = 400, log: (s: string) => void = () => undefined): Promise<CrashSoakReport> {
  const attempts = new Map<string, Map<number, Attempt>>();
  const acked = new Map<string, number>();
  const report: CrashSoakReport = { iterations, acknowledged: 0, lost: 0, unopenable: 0, corruptApplied: 0 };
  for (let it = 0; it < iterations; it++) {
    const lines = await runAndKill(dir, `r${it}`, Math.floor(Math.random() * maxKillMs));
    for (const line of lines) {
      const o = JSON.parse(line) as { s?: [string, number, number[], number[], number[] | null]; a?: [string, number] };
      if (o.s) {
        const [id, v, terms, weights, dense] = o.s;
        (attempts.get(id) ?? attempts.set(id, new Map()).get(id)!).set(v, { terms, weights, dense: dense ?? null });
      } else if (o.a) {
        report.acknowledged++;
        acked.set(o.a[0], Math.max(acked.get(o.a[0]) ?? 0, o.a[1]));
      }
    }
    let c: CollectionStore;
    try {
      c = await CollectionStore.open(dir, { dense: SOAK_DENSE });
    } catch (e) {
      report.unopenable++;
      log(`iteration ${it}: cannot open: ${(e as Error).message}`);
      continue;
    }
    for (const [id, v] of acked) {
      const got = await c.get(id);
      const version = (got?.metadata as { v?: number } | null)?.v;
      if (!got || version === undefined || version < v) {
        report.lost++;
        log(`iteration ${it}: lost ${id} v${v} (found ${version})`);
        continue;
      }
      const want = attempts.get(id)?.get(version);
      const same =
        want !== undefined &&
        want.terms.length === got.vector.nnz &&
        want.terms.every((t, i) => got.vector.terms[i] === t && got.vector.weights[i] === want.weights[i]) &&
        (want.dense === null ? got.dense === undefined : got.dense !== undefined && want.dense.every((x, i) => got.dense![i] === x));
      if (!same) {
        report.corruptApplied++;
        log(`iteration ${it}: ${id} v${version} holds a vector never written (${whoseVector(attempts, got.vector)}; ${got.vector.nnz} terms, expected ${want?.terms.length ?? "no attempt"})`);
      }
    }
    // Also no document beyond what was attempted.
    for (const [id, versions] of attempts) {
      if (acked.has(id)) continue;
      const got = await c.get(id);
      const version = (got?.metadata as { v?: number } | null)?.v;
      if (got && (version === undefined || !versions.has(version))) report.corruptApplied++;
    }
    await c.close();
    log(`iteration ${it}: ${lines.length} lines, ${acked.size} ids acknowledged so far, docs ${acked.size}`);
  }
  return report;
}

/** For a mismatch report: which attempted (id, version) wrote this vector, if any did. */
function whoseVector(attempts: Map<string, Map<number, Attempt>>, v: { nnz: number; terms: Uint32Array; weights: Float32Array }): string {
  for (const [id, versions] of attempts) {
    for (const [version, a] of versions) {
      if (a.terms.length === v.nnz && a.terms.every((t, i) => v.terms[i] === t && v.weights[i] === a.weights[i])) return `it is ${id} v${version}'s`;
    }
  }
  return "no attempted upsert wrote it";
}
