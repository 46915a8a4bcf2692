import { rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { Collection } from "../../collection.js";
import type { RemoteCollection } from "../../client/remote-collection.js";
import { SparseDbError } from "../../errors.js";
import { evaluateRun, type Run } from "../../eval/evaluate.js";
import { recallAtK, trecOrder } from "../../eval/measures.js";
import { loadQrels } from "../../eval/qrels.js";
import { formatRunLines, roundRunScore, TrecRunWriter } from "../../eval/trec-run-writer.js";
import type { SearchHit, SearchRequest } from "../../requests.js";
import { checkSearch } from "../../validate-request.js";
import { intOption, numberOption, stringOption } from "../cli-args.js";
import { describeError, EXIT_OK, UsageError, type CliIo } from "../cli-io.js";
import { LineSource } from "../line-source.js";
import { Progress } from "../progress.js";
import { detectQueryFormat, parseQueryLine, QUERY_FORMATS, type FileQuery, type QueryFormat, type QueryParserOptions } from "../query-file.js";
import { collectionName, openTarget } from "../target.js";

export const QUERIES_HELP = `      --queries FILE     run every query of FILE (.gz works) instead of one: lines of text,
                         MS MARCO qid<TAB>text, Anserini qid<TAB>tok tok ... vectors, or JSON
                         lines {"id", "text" | "vector"}; the format is guessed from the name
                         and the first line (said on stderr) unless --format is given. Vectors:
                         {"terms", "weights"} or {"tokens": {token: weight}} (through the
                         collection's vocabulary; a server's is fetched), one query a line
      --format F         text | msmarco | anserini | jsonl (with --queries)
      --scale N          anserini query weight scale (default 100)
      --run FILE         write the hits as a TREC run (qid Q0 docid rank score tag); without
                         --run and --qrels the run goes to stdout
      --tag NAME         the run's tag column (default sparsedb)
      --batch N          queries per searchBatch call (one request to a server; default 16)
      --qrels FILE       TREC qrels (qid 0 docid rel) or BEIR qrels: print MAP, MRR@10,
                         nDCG@10 and recall@k over the judged queries, as trec_eval computes them`;

export const QUERIES_OPTIONS = {
  queries: { type: "string" },
  format: { type: "string" },
  scale: { type: "string" },
  run: { type: "string" },
  tag: { type: "string" },
  qrels: { type: "string" },
  batch: { type: "string" },
} as const;

/** The flags above other than --queries belong to it: refused without it rather than ignored. */
export function checkQueryFlags(values: Record<string, unknown>): void {
  if (values.queries !== undefined) return;
  const stray = Object.keys(QUERIES_OPTIONS).find((f) => values[f] !== undefined);
  if (stray !== undefined) throw new UsageError(`--${stray} goes with --queries FILE`);
}

/** Batches of searches run concurrently (a server pipelines them; results are written in file order). */
const IN_FLIGHT = 4;

/**
 * `search --queries FILE`: every query of the file with the flags' search options (`base`),
 * written as a TREC run, and evaluated against qrels when given. The hits' scores are rounded as
 * the run file writes them before evaluation, so trec_eval on the written file agrees exactly.
 */
export async function runQueryFile(base: Record<string, unknown>, values: Record<string, unknown>, io: CliIo): Promise<number> {
  if (values.explain === true || values.json === true) throw new UsageError("--explain and --json are for one query; --queries writes a TREC run");
  if (base.include !== undefined) throw new UsageError("--include-text, --fields and --no-metadata choose what one query's hits show; --queries writes a TREC run (query, document id, rank, score), which holds no texts or metadata");
  const file = stringOption(values, "queries")!;
  const given = stringOption(values, "format");
  if (given !== undefined && !(QUERY_FORMATS as readonly string[]).includes(given)) throw new UsageError(`--format must be one of ${QUERY_FORMATS.join(", ")}, got ${JSON.stringify(given)}`);
  const tag = stringOption(values, "tag") ?? "sparsedb";
  if (!/^\S+$/.test(tag)) throw new UsageError(`--tag must be one word (a TREC run's column), got ${JSON.stringify(tag)}`);
  const runPath = stringOption(values, "run");
  const qrelsPath = stringOption(values, "qrels");
  const k = typeof base.k === "number" ? base.k : 10;
  const batchSize = intOption(values, "batch", 16, 1, 1000);
  checkSearch({ ...base, text: "x" }, { vocabSize: 0xffffffff }); // the options, before anything is opened

  const source = await LineSource.open(resolve(io.cwd, file));
  const qrels = qrelsPath === undefined ? undefined : await loadQrels(resolve(io.cwd, qrelsPath));
  let format = given as QueryFormat | undefined;
  if (format === undefined) {
    const detected = detectQueryFormat(file, await firstNonEmptyLine(source));
    format = detected.format;
    io.stderr.write(`${file}: reading ${format} queries (from ${detected.why}; pass --format to choose)\n`);
  }
  const target = await openTarget(values, io);
  try {
    const collection = await target.collection(collectionName(values));
    const parser: QueryParserOptions = {
      format,
      // Token vectors are mapped here (a server's vocabulary is fetched once), so a bad token
      // is named with its line before the query is sent.
      vocabulary: await collection.vocabulary(),
      anseriniScale: numberOption(values, "scale", 100),
    };
    // The run is written beside its name and renamed once complete, so a failed run leaves no
    // file that looks finished.
    const runFile = runPath === undefined ? undefined : resolve(io.cwd, runPath);
    const writer = runFile === undefined ? undefined : new TrecRunWriter(`${runFile}.partial`, tag);
    const toStdout = runPath === undefined && qrels === undefined;
    const run: Run = new Map();
    const progress = new Progress(io.stderr, "queries", source.size, "queries");
    let done = 0;
    const record = async (q: FileQuery, hits: SearchHit[]): Promise<void> => {
      const docs = hits.map((h) => ({ docId: h.id, score: h.score }));
      if (writer !== undefined) await writer.add(q.id, docs);
      if (toStdout) io.stdout.write(formatRunLines(q.id, docs, tag));
      if (qrels !== undefined) run.set(q.id, docs.map((d) => ({ docId: d.docId, score: roundRunScore(d.score) })));
      progress.update(++done, source.bytesRead);
    };
    let closed = false;
    try {
      await searchAll(source, parser, collection, base, file, batchSize, record);
      if (done === 0) throw new SparseDbError("INVALID_ARGUMENT", `${file} holds no queries`);
      closed = true;
      await writer?.close();
      if (writer !== undefined) await rename(writer.path, runFile!);
    } catch (e) {
      if (writer !== undefined) {
        if (!closed) await writer.close().catch(() => undefined);
        await rm(writer.path, { force: true });
      }
      throw e;
    } finally {
      progress.done(done, source.bytesRead);
    }
    if (runPath !== undefined) io.stderr.write(`wrote ${done} queries' hits to ${runPath}\n`);
    if (qrels !== undefined) io.stdout.write(formatEvaluation(run, qrels, k));
    return EXIT_OK;
  } finally {
    await target.close();
  }
}

/** A query of the file as it is searched: its line and its request. */
interface LineQuery {
  q: FileQuery;
  line: number;
  request: SearchRequest;
}

/**
 * Reads and parses the queries and searches them `batchSize` at a time with searchBatch (one
 * request to a server per batch), a few batches at once, handing results over in file order.
 */
async function searchAll(
  source: LineSource,
  parser: QueryParserOptions,
  collection: Collection | RemoteCollection,
  base: Record<string, unknown>,
  file: string,
  batchSize: number,
  record: (q: FileQuery, hits: SearchHit[]) => Promise<void>,
): Promise<void> {
  const seen = new Map<string, number>();
  const queue: { batch: LineQuery[]; hits: Promise<SearchHit[][]> }[] = [];
  let batch: LineQuery[] = [];
  const send = (): void => {
    const sent = batch;
    batch = [];
    const hits = collection.searchBatch(sent.map((b) => b.request)).catch((e: unknown) => {
      throw lineError(e, sent, file);
    });
    hits.catch(() => undefined); // awaited in order below; this keeps a later failure from going unhandled meanwhile
    queue.push({ batch: sent, hits });
  };
  const settle = async (): Promise<void> => {
    const head = queue.shift()!;
    const results = await head.hits;
    for (let i = 0; i < head.batch.length; i++) await record(head.batch[i]!.q, results[i]!);
  };
  try {
    for await (const [n, line] of source.lines()) {
      if (line.trim() === "") continue;
      let q: FileQuery;
      try {
        q = parseQueryLine(line, n, parser);
      } catch (e) {
        // A bad vector keeps its code (INVALID_VECTOR), named once, after the line.
        if (e instanceof SparseDbError) throw new SparseDbError(e.code, `${file}:${n}: ${e.message}`, { cause: e });
        throw new SparseDbError("INVALID_ARGUMENT", `${file}:${n}: ${describeError(e)}`);
      }
      const earlier = seen.get(q.id);
      if (earlier !== undefined) throw new SparseDbError("INVALID_ARGUMENT", `${file}:${n}: query id ${q.id} repeats the one on line ${earlier}; a run lists each query once`);
      seen.set(q.id, n);
      const request = { ...base, ...(q.text !== undefined ? { text: q.text } : { vector: q.vector }) } as unknown as SearchRequest;
      batch.push({ q, line: n, request });
      if (batch.length >= batchSize) send();
      if (queue.length >= IN_FLIGHT) await settle();
    }
    if (batch.length > 0) send();
    while (queue.length > 0) await settle();
  } finally {
    await Promise.allSettled(queue.map((e) => e.hits));
  }
}

/**
 * A failed batch's error in the file's terms: the query a "searchBatch: request I: ..." names,
 * by line and id; a batch's size over a server's maxBatchQueries, with the flag that sets it;
 * otherwise the lines the batch held.
 */
function lineError(e: unknown, batch: LineQuery[], file: string): unknown {
  if (!(e instanceof SparseDbError)) return e;
  const m = /^searchBatch: request (\d+): ([^]*)$/.exec(e.message);
  const one = m === null ? (batch.length === 1 ? batch[0] : undefined) : batch[Number(m[1])];
  if (one !== undefined) return new SparseDbError(e.code, `${file}:${one.line}: query ${one.q.id}: ${m === null ? e.message : m[2]}`, { cause: e });
  if (e.code === "LIMIT_EXCEEDED" && /^searchBatch: \d+ requests;/.test(e.message)) {
    return new SparseDbError(e.code, `${e.message.replace(/: split it$/, "")}: pass a smaller --batch (now ${batch.length})`, { cause: e });
  }
  return new SparseDbError(e.code, `${file}:${batch[0]!.line}-${batch[batch.length - 1]!.line}: ${e.message}`, { cause: e });
}

async function firstNonEmptyLine(source: LineSource): Promise<string | undefined> {
  for await (const [, line] of source.lines()) if (line.trim() !== "") return line;
  return undefined;
}

/**
 * trec_eval's default averaging (queries both run and judged; a run query that retrieved nothing
 * counts with zeros), laid out as trec_eval prints: measure, "all", value.
 */
export function formatEvaluation(run: Run, qrels: Map<string, Map<string, number>>, k: number): string {
  const e = evaluateRun(run, qrels);
  let recall = 0;
  for (const queryId of e.perQuery.keys()) {
    recall += recallAtK(trecOrder(run.get(queryId)!).map((d) => d.docId), qrels.get(queryId)!, k);
  }
  const rows: [string, string][] = [
    ["num_q", String(e.queries)],
    [k <= 1000 ? "map" : "map@1000", e.mean["MAP@1000"].toFixed(4)],
    ["mrr@10", e.mean["MRR@10"].toFixed(4)],
    ["ndcg_cut_10", e.mean["nDCG@10"].toFixed(4)],
    [`recall_${k}`, (e.queries > 0 ? recall / e.queries : 0).toFixed(4)],
  ];
  let out = rows.map(([name, value]) => `${name.padEnd(16)}all\t${value}\n`).join("");
  if (e.unjudgedQueries > 0) out += `(${e.unjudgedQueries} queries without judgements left out, as trec_eval leaves them out)\n`;
  if (k < 10) out += `(k = ${k} < 10: MRR@10 and nDCG@10 see only the top ${k})\n`;
  return out;
}
