import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DocumentInput } from "../../requests.js";
import { intOption, numberOption, parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_FAILURE, EXIT_OK, UsageError, describeError, type CliIo } from "../cli-io.js";
import { openDocumentSink, type DocumentSink } from "../ingest-sink.js";
import { ENCODER_HELP, ENCODER_OPTIONS, encoderFromFlags } from "../encoder-flags.js";
import { metricFromFlags } from "../metric-flag.js";
import { denseConfigFromFlags } from "../dense-flags.js";
import { formatFromName, INPUT_FORMATS, type InputFormat, type LineParserOptions } from "../input-formats.js";
import { LineSource } from "../line-source.js";
import { chunkReader, lineReader, type InputReader } from "../ingest-input.js";
import { chunkFormatFor, defaultKeepBytes, defaultParseThreads } from "../ingest-plan.js";
import { Progress } from "../progress.js";
import { collectionName, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb ingest [options] FILE

Adds the documents of FILE (one a line; "-" reads standard input; .gz is read as gzip) to a
collection, creating the collection when it does not exist. Documents with an id already present
replace it.

Formats (--format; .jsonl files need none):
  jsonl     {"id": "d1", "text": "...", "vector": {token: weight}, ...metadata}
            (vector also {"tokens": {token: weight}} or {"terms": [...], "weights": [...]})
            (with both a vector and a text, the vector is stored and the text kept as metadata)
  anserini  id<TAB>tok tok tok ...   (Anserini pre-encoded TSV; weight = repeats / --scale)
  msmarco   pid<TAB>passage text     (the MS MARCO collection TSV)
  sparsedb  sparsedb export --format jsonl's lines (what sparsedb import reads)

Token vectors (anserini, jsonl token maps) are mapped through the collection's vocabulary: for
SPLADE vectors, the collection must be in BERT's term space (a SPLADE model's tokenizer, or
--tokenizer bert-base-uncased's tokenizer.json; the default when ../shared/data has it).

Options:
${TARGET_HELP}
  -f, --format FORMAT    jsonl | anserini | msmarco | sparsedb
      --on-error MODE    stop (default): check every line first and write nothing if one is bad;
                         skip: report bad lines with their numbers and go on (a run that skips
                         every line fails)
      --batch N          documents per write (default 256; with --wal or --connect)
      --in-flight N      most writes awaiting acknowledgement at once (default 4; with --wal
                         or --connect)
      --segment-docs N   documents per segment in a bulk load (default: sized by memory,
                         up to 2^24 postings or 500000 documents a segment)
      --wal              write through the write-ahead log, batch by batch (the default for
                         msmarco text), instead of a bulk load
      --text-field NAME  the jsonl field holding the text (default "text")
      --vector-keys K    jsonl vector keys: tokens (default) or ids
      --scale N          anserini weight scale (default 100)
      --parse-threads N  worker threads parsing a bulk load of anserini or jsonl token vectors
                         (default: the cores left beside the segment builders, at least one,
                         and one per core for the check of --on-error stop; 0 parses on the
                         main thread)
      --keep-mib N       with --on-error stop, memory (MiB) the check may keep the parsed file in,
                         so the load does not read it again (default: a quarter of the machine's
                         memory, at most 4096; 0 always reads the file twice)
${ENCODER_HELP}
  -h, --help             this help

With --connect the documents stream into a running \`sparsedb serve\` (the way to add to a
folder a server holds): atomic upserts of --batch documents, at most --in-flight of them
unacknowledged. Token vectors (jsonl token maps, {"tokens": {...}}, anserini) are mapped through
the server's vocabulary of the collection, fetched once, so a bad line is named as with --dir.

Progress goes to stderr from the first line: a bar with rate and ETA on a terminal, one summary
line at the end otherwise. A run that writes nothing (a bad line with --on-error stop, a failure,
every line skipped) removes the collection again if it created it.
Into a folder, jsonl and anserini files are bulk-loaded: every --segment-docs documents (or each memory budget's worth) become a segment,
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
      ...TARGET_OPTIONS,
      format: { type: "string", short: "f" },
      "on-error": { type: "string" },
      batch: { type: "string" },
      "in-flight": { type: "string" },
      "segment-docs": { type: "string" },
      wal: { type: "boolean" },
      "text-field": { type: "string" },
      "vector-keys": { type: "string" },
      scale: { type: "string" },
      "parse-threads": { type: "string" },
      "keep-mib": { type: "string" },
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
    const maxInFlight = intOption(values, "in-flight", 4, 1, 1024);
    // Absent: the store sizes bulk segments by memory (fewer, larger segments search faster).
    const segmentDocs = values["segment-docs"] === undefined ? undefined : intOption(values, "segment-docs", 0, 1, 10_000_000);
    const remote = typeof values.connect === "string";
    if (remote && (values.wal !== undefined || values["segment-docs"] !== undefined)) {
      throw new UsageError("--wal and --segment-docs choose how a folder is written; with --connect the server writes through its log");
    }
    const bulk = values.wal !== true && format !== "msmarco";
    const encoder = encoderFromFlags(values, io.env, io.cwd);
    const metric = { ...metricFromFlags(values), ...denseConfigFromFlags(values, io.cwd) };
    const name = collectionName(values);
    const textField = stringOption(values, "text-field") ?? "text";
    const anseriniScale = numberOption(values, "scale", 100);
    const parseThreads = intOption(values, "parse-threads", defaultParseThreads(), 0, 256);
    // The check pass of --on-error stop has the cores to itself.
    const checkThreads = values["parse-threads"] === undefined ? availableParallelism() : parseThreads;
    const keepBytes = intOption(values, "keep-mib", Math.floor(defaultKeepBytes() / 2 ** 20), 0, 1 << 30) * 2 ** 20;

    let spool: string | undefined;
    let path = file;
    if (file === "-") {
      // Standard input is read once; spooling it lets --on-error stop check it before writing.
      spool = await mkdtemp(join(tmpdir(), "sparsedb-ingest-"));
      path = join(spool, "stdin");
      await pipeline(process.stdin, createWriteStream(path));
    } else path = resolve(io.cwd, file);
    try {
      const source = await LineSource.open(path); // a missing file creates nothing
      const sink = await openDocumentSink(values, io, { name, encoder, config: metric, bulk, batchSize, segmentDocs, maxInFlight });
      let written = 0, code = EXIT_FAILURE;
      try {
        const parser: LineParserOptions = {
          format,
          vocabulary: sink.vocabulary,
          textField,
          vectorKeys,
          anseriniScale,
        };
        const label = `ingest ${name}`;
        // A bulk load of token vectors reads the file in byte chunks parsed on worker threads.
        const chunkFormat = sink.mode === "bulk" ? chunkFormatFor(parser) : undefined;
        const input: InputReader =
          chunkFormat !== undefined ? chunkReader(source, { format: chunkFormat, threads: parseThreads, checkThreads, parser, keepBytes }) : lineReader(source, parser);
        if (onError === "stop") {
          const progress = new Progress(io.stderr, `${label}: checking`, source.size, "lines");
          let line = 0;
          let bad: { line: number; message: string } | undefined;
          try {
            bad = await input.check((n) => progress.update((line = n), input.bytesRead));
          } finally {
            progress.done(line, input.bytesRead, "", false);
          }
          if (bad !== undefined) {
            io.stderr.write(`${file}:${bad.line}: ${bad.message}\nnothing was written (use --on-error skip to skip bad lines)\n`);
            return EXIT_FAILURE;
          }
        }
        const result = await ingestLines(input, sink, { io, label, file });
        written = result.written;
        code = result.code;
        return code;
      } finally {
        // After a failure: whether the collection this run created was removed or stays.
        const note = await sink.close(written);
        if (note !== undefined && code !== EXIT_OK) io.stderr.write(`${note}\n`);
      }
    } finally {
      if (spool !== undefined) await rm(spool, { recursive: true, force: true });
    }
  },
};

/** A line source's documents with their line numbers; bad lines are counted and reported as skipped. */
class ParsedLines {
  bad = 0;
  constructor(
    private readonly input: InputReader,
    private readonly o: { io: CliIo; file: string },
    /** Checked before each line: true ends the iteration there. */
    private readonly stop: () => boolean,
  ) {}

  /** Batches of documents (a batch per chunk or per 256 lines); a stop ends the batch there. */
  async *[Symbol.asyncIterator](): AsyncGenerator<[number, DocumentInput][]> {
    for await (const batch of this.input.batches()) {
      const docs: [number, DocumentInput][] = [];
      for (const [n, entry] of batch) {
        if (this.stop()) break;
        if ("bad" in entry) {
          this.bad++;
          if (this.bad <= MAX_REPORTED_BAD_LINES) this.o.io.stderr.write(`${this.o.file}:${n}: ${entry.bad} (skipped)\n`);
          continue;
        }
        docs.push([n, entry]);
      }
      yield docs;
      if (this.stop()) return;
    }
  }

  /** After the run: how many bad lines went unreported. */
  reportRest(): void {
    if (this.bad > MAX_REPORTED_BAD_LINES) this.o.io.stderr.write(`... ${this.bad - MAX_REPORTED_BAD_LINES} more bad lines not shown\n`);
  }
}

/**
 * Reads the file into the sink. Progress counts the documents read from the first line on, with
 * the count written (durable) beside it. In bulk mode every segment commit is a point a killed
 * run keeps, so the line it is durable through is reported (a line per commit off a terminal).
 */
async function ingestLines(
  input: InputReader,
  sink: DocumentSink,
  o: { io: CliIo; label: string; file: string },
): Promise<{ code: number; written: number }> {
  const progress = new Progress(o.io.stderr, o.label, input.size);
  const bulk = sink.mode === "bulk";
  let interrupted = false, read = 0, written = 0, writtenLine = 0;
  void o.io.interrupted.then(() => (interrupted = true));
  const parsed = new ParsedLines(input, o, () => interrupted);
  // Bulk mode: the line of each document handed over and not yet known committed.
  const lineOf: number[] = [];
  let lineOfStart = 0;
  // On a terminal the bar says where a killed run would resume: the line durable so far.
  const note = () => `(${written.toLocaleString("en-US")} written${bulk && written > 0 ? `, durable through line ${writtenLine}` : ""})`;
  async function* docs(): AsyncGenerator<DocumentInput> {
    for await (const batch of parsed) {
      for (const [n, doc] of batch) {
        if (interrupted) return;
        if (bulk) lineOf.push(n);
        read++;
        progress.update(read, input.bytesRead, note);
        yield doc;
      }
    }
  }
  const onWritten = (total: number): void => {
    if (bulk) {
      writtenLine = lineOf[total - 1 - lineOfStart]!;
      lineOf.splice(0, total - lineOfStart);
      lineOfStart = total;
      // In a log (not a terminal) every commit is an acknowledged point a killed run keeps.
      if (o.io.stderr.isTTY !== true) o.io.stderr.write(`${o.label}: ${total} docs durable through ${o.file}:${writtenLine}\n`);
    }
    written = total;
    progress.update(read, input.bytesRead, note());
  };
  let failure: unknown;
  try {
    await sink.write(docs(), onWritten, () => interrupted);
  } catch (e) {
    failure = e;
  }
  progress.done(read, input.bytesRead, `${written} written`);
  parsed.reportRest();
  const through = bulk && written > 0 ? ` (durable through ${o.file}:${writtenLine})` : "";
  const summary = `${written} documents written${parsed.bad > 0 ? `, ${parsed.bad} bad lines skipped` : ""}`;
  if (failure !== undefined) {
    const kept = bulk ? "; the collection holds them once opened again" : " (every written batch is complete)";
    o.io.stderr.write(`ingest failed: ${describeError(failure)}\n${summary}${through}${kept}\n`);
    return { code: EXIT_FAILURE, written };
  }
  if (written === 0 && !interrupted) {
    const why = parsed.bad > 0 ? `every line of ${o.file} was bad (${parsed.bad} skipped)` : `${o.file} holds no documents`;
    o.io.stderr.write(`ingest failed: ${why}; nothing was written\n`);
    return { code: EXIT_FAILURE, written };
  }
  const total = `${summary}; collection now holds ${await sink.count()}${through}`;
  if (interrupted) {
    o.io.stderr.write(`ingest interrupted: ${total}\n`);
    return { code: EXIT_FAILURE, written };
  }
  o.io.stdout.write(`${total}\n`);
  return { code: EXIT_OK, written };
}
