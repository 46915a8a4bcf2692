import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { SparseDbError } from "../errors.js";

/** A retrieved document as a run file lists it. */
export interface RunHit {
  docId: string;
  score: number;
}

/** Digits after the decimal point in written scores (Anserini writes 6 as well). */
export const RUN_SCORE_DECIMALS = 6;

/** A score as a run file writes it. */
export function formatRunScore(score: number): string {
  return score.toFixed(RUN_SCORE_DECIMALS);
}

/**
 * A score rounded as the run file stores it. Evaluate with these so that trec_eval on the
 * written file gives exactly the figures reported: ties it creates break the way it breaks them.
 */
export function roundRunScore(score: number): number {
  return Number(formatRunScore(score));
}

/** The lines `qid Q0 docid rank score tag` for one query's hits, ranked 1.. in the given order. */
export function formatRunLines(queryId: string, hits: readonly RunHit[], tag: string): string {
  checkField("query id", queryId);
  checkField("run tag", tag);
  let out = "";
  hits.forEach((hit, i) => {
    checkField("document id", hit.docId);
    out += `${queryId} Q0 ${hit.docId} ${i + 1} ${formatRunScore(hit.score)} ${tag}\n`;
  });
  return out;
}

/** Writes a TREC run file: each query's hits in rank order, queries in the given order. */
export async function writeTrecRun(
  path: string,
  run: Iterable<readonly [string, readonly RunHit[]]>,
  tag: string,
): Promise<void> {
  const out = createWriteStream(path);
  const failed = once(out, "error").then(([err]) => {
    throw new SparseDbError("IO_ERROR", `cannot write the run file ${path}: ${(err as Error).message}`, { cause: err });
  });
  const write = async (): Promise<void> => {
    for (const [queryId, hits] of run) {
      if (!out.write(formatRunLines(queryId, hits, tag))) await once(out, "drain");
    }
    out.end();
    await once(out, "finish");
  };
  await Promise.race([write(), failed]);
}

function checkField(what: string, value: string): void {
  if (value.length === 0 || /\s/.test(value)) {
    throw new SparseDbError("INVALID_ARGUMENT", `${what} "${value}" cannot be written to a TREC run file: it is empty or holds whitespace`);
  }
}

/** Writes a TREC run file query by query, so that a long run never sits in memory whole. */
export class TrecRunWriter {
  private readonly out;
  private error: unknown = null;

  constructor(readonly path: string, private readonly tag: string) {
    this.out = createWriteStream(path);
    this.out.on("error", (err) => (this.error = err));
  }

  /** Appends one query's hits (ranked in the given order); waits when the file falls behind. */
  async add(queryId: string, hits: readonly RunHit[]): Promise<void> {
    this.throwIfFailed();
    if (!this.out.write(formatRunLines(queryId, hits, this.tag))) await once(this.out, "drain");
  }

  async close(): Promise<void> {
    this.throwIfFailed();
    this.out.end();
    await once(this.out, "finish");
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error !== null) {
      throw new SparseDbError("IO_ERROR", `cannot write the run file ${this.path}: ${(this.error as Error).message}`, { cause: this.error });
    }
  }
}
