import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { Database } from "../../database.js";
import type { Collection } from "../../collection.js";
import type { DocumentInput } from "../../requests.js";
import { intOption, numberOption, parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_FAILURE, EXIT_OK, UsageError, describeError, type CliIo } from "../cli-io.js";
import { ENCODER_HELP, ENCODER_OPTIONS, encoderFromFlags } from "../encoder-flags.js";
import { metricFromFlags } from "../metric-flag.js";
import { formatFromName, INPUT_FORMATS, parseDocumentLine, type InputFormat, type LineParserOptions } from "../input-formats.js";
import { LineSource } from "../line-source.js";
import { Progress } from "../progress.js";
import { collectionName, databaseDir, TARGET_HELP } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb ingest [options] FILE

Adds the documents of FILE (one a line; "-" reads standard input; .gz is read as gzip) to a
collection, creating the collection when it does not exist. Documents with an id already present
replace it.

Formats (--format; .jsonl files need none):
  jsonl     {"id": "d1", "text": "...", "vector": {token: weight}, ...metadata}
            (with both a vector and a text, the vector is stored and the text kept as metadata)
  anserini  id<TAB>tok tok tok ...   (Anserini pre-encoded TSV; weight = repeats / --scale)
  msmarco   pid<TAB>passage text     (the MS MARCO collection TSV)

Token vectors (anserini, jsonl token maps) are mapped through the collection's vocabulary: for
SPLADE vectors, the collection must be in BERT's term space (a SPLADE model's tokenizer, or
--tokenizer bert-base-uncased's tokenizer.json; the default when ../shared/data has it).

Options:
${TARGET_HELP.split("\n").filter((l) => !/--connect|--token/.test(l)).join("\n")}
  -f, --format FORMAT    jsonl | anserini | msmarco
      --on-error MODE    stop (default): check every line first and write nothing if one is bad;
                         skip: report bad lines with their numbers and go on
      --batch N          documents per write (default 256; with --wal)
      --segment-docs N   documents per segment in a bulk load (default 50000)
      --wal              write through the write-ahead log, batch by batch (the default for
                         msmarco text), instead of a bulk load
      --text-field NAME  the jsonl field holding the text (default "text")
      --vector-keys K    jsonl vector keys: tokens (default) or ids
      --scale N          anserini weight scale (default 100)
${ENCODER_HELP}
  -h, --help             this help

Progress goes to stderr: a bar with rate and ETA on a terminal, a line every 5 s otherwise.
jsonl and anserini files are bulk-loaded: every --segment-docs documents become a segment,
committed without the write-ahead log (other writers to the collection wait meanwhile); what the
command reports written (through FILE:LINE; without a terminal, a line per commit) is durable, and an interrupted, failed or killed run
leaves the file loaded up to its last commit. With --wal each batch is written atomically (all of
its documents or none), so an interrupted or failed run leaves whole documents only. Exit codes: 0 done, 1 failed (or bad lines with --on-error stop),
2 bad usage.`;

const MAX_REPORTED_BAD_LINES = 20;

export const ingestCommand: Command = {
  name: "ingest",
  handlesInterrupt: true,
  summary: "add documents from JSON lines, Anserini TSV or MS MARCO TSV",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("ingest", argv, {
      dir: { type: "string", short: "d" },
      collection: { type: "string", short: "c" },
      format: { type: "string", short: "f" },
      "on-error": { type: "string" },
      batch: { type: "string" },
      "segment-docs": { type: "string" },
      wal: { type: "boolean" },
      "text-field": { type: "string" },
      "vector-keys": { type: "string" },
      scale: { type: "string" },
      ...ENCODER_OPTIONS,
    });
    if (positionals.length !== 1) throw new UsageError("ingest takes exactly one FILE (or - for standard input)");
    const onError = stringOption(values, "on-error") ?? "stop";
    if (onError !== "stop" && onError !== "skip") throw new UsageError(`--on-error must be stop or skip, got ${JSON.stringify(onError)}`);
    const file = positionals[0]!;
    const format = (stringOption(values, "format") ?? formatFromName(file)) as InputFormat | undefined;
    if (format === undefined) throw new UsageError(`cannot tell the format of ${file}: pass --format ${INPUT_FORMATS.join("|")}`);
    if (!INPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${INPUT_FORMATS.join(", ")}, got ${JSON.stringify(format)}`);
    const vectorKeys = stringOption(values, "vector-keys") ?? "tokens";
    if (vectorKeys !== "tokens" && vectorKeys !== "ids") throw new UsageError("--vector-keys must be tokens or ids");
    const batchSize = intOption(values, "batch", 256, 1, 100_000);
    const segmentDocs = intOption(values, "segment-docs", 50_000, 1, 10_000_000);
    const bulk = values.wal !== true && format !== "msmarco";
    const encoder = encoderFromFlags(values, io.env, io.cwd);
    const metric = metricFromFlags(values);
    const name = collectionName(values);

    let spool: string | undefined;
    let path = file;
    if (file === "-") {
      // Standard input is read once; spooling it lets --on-error stop check it before writing.
      spool = await mkdtemp(join(tmpdir(), "sparsedb-ingest-"));
      path = join(spool, "stdin");
      await pipeline(process.stdin, createWriteStream(path));
    } else path = resolve(io.cwd, file);
    const db = await Database.open(databaseDir(values, io));
    try {
      let collection: Collection;
      if (db.hasCollection(name)) {
        collection = await db.collection(name);
        if (encoder !== undefined) io.stderr.write(`note: collection "${name}" exists; it keeps its own encoder (${collection.encoderDescription})\n`);
      } else {
        collection = await db.createCollection(name, { ...(encoder === undefined ? {} : { encoder }), ...metric });
        io.stderr.write(`created collection "${name}" with encoder: ${collection.encoderDescription}\n`);
      }
      const parser: LineParserOptions = {
        format,
        vocabulary: collection.encoder?.vocabulary,
        textField: stringOption(values, "text-field") ?? "text",
        vectorKeys,
        anseriniScale: numberOption(values, "scale", 100),
      };
      const source = await LineSource.open(path);
      if (onError === "stop") {
        const bad = await firstBadLine(source, parser);
        if (bad !== undefined) {
          io.stderr.write(`${file}:${bad.line}: ${bad.message}\nnothing was written (use --on-error skip to skip bad lines)\n`);
          return EXIT_FAILURE;
        }
      }
      const o = { batchSize, segmentDocs, io, label: `ingest ${name}`, file };
      return await (bulk ? bulkIngestLines(source, parser, collection, o) : ingestLines(source, parser, collection, o));
    } finally {
      await db.close();
      if (spool !== undefined) await rm(spool, { recursive: true, force: true });
    }
  },
};

async function firstBadLine(source: LineSource, parser: LineParserOptions): Promise<{ line: number; message: string } | undefined> {
  for await (const [n, line] of source.lines()) {
    if (line.trim() === "") continue;
    try {
      parseDocumentLine(line, parser);
    } catch (e) {
      return { line: n, message: describeError(e) };
    }
  }
  return undefined;
}

/** A line source's documents with their line numbers; bad lines are counted and reported as skipped. */
class ParsedLines {
  bad = 0;
  constructor(
    private readonly source: LineSource,
    private readonly parser: LineParserOptions,
    private readonly o: { io: CliIo; file: string },
    /** Checked before each line: true ends the iteration there. */
    private readonly stop: () => boolean,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<[number, DocumentInput]> {
    for await (const [n, line] of this.source.lines()) {
      if (this.stop()) return;
      if (line.trim() === "") continue;
      let doc: DocumentInput;
      try {
        doc = parseDocumentLine(line, this.parser);
      } catch (e) {
        this.bad++;
        if (this.bad <= MAX_REPORTED_BAD_LINES) this.o.io.stderr.write(`${this.o.file}:${n}: ${describeError(e)} (skipped)\n`);
        continue;
      }
      yield [n, doc];
    }
  }

  /** After the run: how many bad lines went unreported. */
  reportRest(): void {
    if (this.bad > MAX_REPORTED_BAD_LINES) this.o.io.stderr.write(`... ${this.bad - MAX_REPORTED_BAD_LINES} more bad lines not shown\n`);
  }
}

/**
 * The bulk path: documents go straight into segments (Collection.bulkLoad); after each segment
 * commit the progress and the last durable line are known, and that is what is reported.
 */
async function bulkIngestLines(
  source: LineSource,
  parser: LineParserOptions,
  collection: Collection,
  o: { segmentDocs: number; io: CliIo; label: string; file: string },
): Promise<number> {
  const progress = new Progress(o.io.stderr, o.label, source.size);
  let interrupted = false, committed = 0, committedLine = 0;
  const parsed = new ParsedLines(source, parser, o, () => interrupted);
  void o.io.interrupted.then(() => (interrupted = true));
  // The line of each document handed over not yet known committed (for "durable through").
  const lineOf: number[] = [];
  let lineOfStart = 0;
  async function* docs(): AsyncGenerator<DocumentInput> {
    for await (const [n, doc] of parsed) {
      lineOf.push(n);
      yield doc;
    }
  }
  let failure: unknown;
  try {
    await collection.bulkLoad(docs(), {
      segmentDocs: o.segmentDocs,
      onCommit: ({ committedDocs }) => {
        committedLine = lineOf[committedDocs - 1 - lineOfStart]!;
        lineOf.splice(0, committedDocs - lineOfStart);
        lineOfStart = committedDocs;
        committed = committedDocs;
        progress.update(committed, source.bytesRead);
        // In a log (not a terminal) every commit is an acknowledged point a killed run keeps.
        if (o.io.stderr.isTTY !== true) o.io.stderr.write(`${o.label}: ${committed} docs durable through ${o.file}:${committedLine}\n`);
      },
    });
  } catch (e) {
    failure = e;
  }
  progress.done(committed, source.bytesRead);
  parsed.reportRest();
  const through = committed > 0 ? ` (durable through ${o.file}:${committedLine})` : "";
  const summary = `${committed} documents written${parsed.bad > 0 ? `, ${parsed.bad} bad lines skipped` : ""}`;
  if (failure !== undefined) {
    o.io.stderr.write(`ingest failed: ${describeError(failure)}\n${summary}${through}; the collection holds them once opened again\n`);
    return EXIT_FAILURE;
  }
  const total = `${summary}; collection now holds ${await collection.count()}${through}`;
  if (interrupted) {
    o.io.stderr.write(`ingest interrupted: ${total}\n`);
    return EXIT_FAILURE;
  }
  o.io.stdout.write(`${total}\n`);
  return EXIT_OK;
}

async function ingestLines(
  source: LineSource,
  parser: LineParserOptions,
  collection: Collection,
  o: { batchSize: number; io: CliIo; label: string; file: string },
): Promise<number> {
  const progress = new Progress(o.io.stderr, o.label, source.size);
  let written = 0, stopped: string | undefined;
  let batch: DocumentInput[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let interrupted = false;
  void o.io.interrupted.then(() => (interrupted = true));

  const write = (docs: DocumentInput[]): void => {
    const p: Promise<void> = collection.upsert(docs).then(
      () => {
        written += docs.length;
        progress.update(written, source.bytesRead);
      },
      (e: unknown) => {
        failure ??= e;
      },
    ).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const parsed = new ParsedLines(source, parser, o, () => failure !== undefined || interrupted);
  for await (const [, doc] of parsed) {
    batch.push(doc);
    if (batch.length >= o.batchSize) {
      write(batch);
      batch = [];
      // A few writes in flight let group commit share fsyncs; more would only queue.
      while (inFlight.size >= 4) await Promise.race(inFlight);
    }
  }
  if (batch.length > 0 && failure === undefined && !interrupted) write(batch);
  await Promise.all(inFlight);
  if (failure === undefined && !interrupted) await collection.flush().catch((e: unknown) => (failure = e));
  progress.done(written, source.bytesRead);
  if (interrupted) stopped = "interrupted";
  parsed.reportRest();
  const summary = `${written} documents written${parsed.bad > 0 ? `, ${parsed.bad} bad lines skipped` : ""}; collection now holds ${await collection.count()}`;
  if (failure !== undefined) {
    o.io.stderr.write(`ingest failed: ${describeError(failure)}\n${summary} (every written batch is complete)\n`);
    return EXIT_FAILURE;
  }
  if (stopped !== undefined) {
    o.io.stderr.write(`ingest ${stopped}: ${summary}\n`);
    return EXIT_FAILURE;
  }
  o.io.stdout.write(`${summary}\n`);
  return EXIT_OK;
}
