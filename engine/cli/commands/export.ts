import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { SparseDbError } from "../../errors.js";
import type { ExportContext } from "../../export/export-format.js";
import { exportCollection } from "../../export/export-collection.js";
import { EXPORT_FORMATS } from "../../export/export-formats.js";
import { featureNames } from "../../export/feature-names.js";
import { checkScroll, MAX_SCROLL_LIMIT } from "../../scroll-request.js";
import type { Filter } from "../../filter.js";
import { Vocabulary } from "../../vocabulary.js";
import { intOption, jsonOption, parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../cli-io.js";
import { Progress } from "../progress.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Command } from "./command.js";

const DEFAULT_FIELD = "sparse_embedding";

const HELP = `Usage: sparsedb export --format FORMAT [options]

Writes every live document of a collection (id, vector, metadata, text when stored), in id order,
in the bulk format another engine ingests, so a collection that outgrows one machine moves to a
distributed engine without a rewrite. Documents written while it runs are included when their
id sorts after the page being read.

Formats (--format):
${EXPORT_FORMATS.map((f) => `  ${f.name.padEnd(14)}${f.summary}`).join("\n")}

  opensearch, elasticsearch: NDJSON for POST /_bulk, two lines a document:
      {"index": {"_index": INDEX, "_id": ID}}
      {"id": ID, FIELD: {token: weight, ...}, "text": ..., "metadata": {...}}
    Feature names are the collection's tokens (term ids without a vocabulary, or with --keys ids);
    a "." in a token is written as U+2024 (these fields refuse dots in feature names), so apply
    the same to query tokens. Weights are positive floats. An _id over 512 bytes is written as
    "sha256:HEX" (the source's "id" keeps the id).
  qdrant: one request body {"points": [...]} a line for PUT /collections/INDEX/points, --batch
    points each: {"id", "vector": {FIELD: {"indices": term ids, "values": weights}}, "payload":
    {"id", "metadata", "text"}}. Point ids: the number for a decimal id, the UUID for a UUID id,
    else a name-based UUID of the id.
  jsonl: {"id", "vector": {"terms", "weights"}, "metadata", "text", "dense"}, exact (vectors bit-identical);
    \`sparsedb import FILE\` reads it back.

--mapping FILE writes what to create first: the index body for PUT /INDEX (mappings with the
vector field's type) for opensearch and elasticsearch, the collection body for
PUT /collections/INDEX for qdrant, the collection's name and configuration for jsonl.

Options:
${TARGET_HELP}
  -f, --format FORMAT    ${EXPORT_FORMATS.map((f) => f.name).join(" | ")}
  -o, --out FILE         write there (default: standard output)
      --mapping FILE     write the index mapping / collection definition there
      --index NAME       the target index or collection (default: the collection's name, lowercased)
      --field NAME       the vector field or named sparse vector (default "${DEFAULT_FIELD}")
      --keys K           feature names: tokens (default, through the vocabulary) or ids
      --vocab FILE       with --connect: a vocab.txt or tokenizer.json to name features by
                         instead of the vocabulary the server sends for the collection
      --filter JSON      export only documents whose metadata matches (the search filter language)
      --batch N          documents per page read and per qdrant request (default 256, at most ${MAX_SCROLL_LIMIT})
  -h, --help             this help

Exit codes: 0 done, 1 failed or interrupted (what was written is whole pages), 2 bad usage.`;

export const exportCommand: Command = {
  name: "export",
  handlesInterrupt: true,
  summary: "write a collection as OpenSearch, Elasticsearch or Qdrant bulk files, or sparsedb JSON lines",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("export", argv, {
      ...TARGET_OPTIONS,
      format: { type: "string", short: "f" },
      out: { type: "string", short: "o" },
      mapping: { type: "string" },
      index: { type: "string" },
      field: { type: "string" },
      keys: { type: "string" },
      vocab: { type: "string" },
      filter: { type: "string" },
      batch: { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`export takes no positional arguments, got ${JSON.stringify(positionals[0])} (write to a file with --out FILE)`);
    const formatName = stringOption(values, "format");
    if (formatName === undefined) throw new UsageError(`export needs --format ${EXPORT_FORMATS.map((f) => f.name).join("|")}`);
    const format = EXPORT_FORMATS.find((f) => f.name === formatName);
    if (format === undefined) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.map((f) => f.name).join(", ")}, got ${JSON.stringify(formatName)}`);
    const keys = stringOption(values, "keys") ?? "tokens";
    if (keys !== "tokens" && keys !== "ids") throw new UsageError(`--keys must be tokens or ids, got ${JSON.stringify(keys)}`);
    const pageSize = intOption(values, "batch", 256, 1, MAX_SCROLL_LIMIT);
    const filter = jsonOption(values, "filter") as Filter | undefined;
    if (filter !== undefined) checkScroll({ limit: pageSize, filter }); // a bad filter fails before anything is written
    const field = stringOption(values, "field") ?? DEFAULT_FIELD;
    if (field === "" || field.includes(".")) throw new UsageError(`--field must be a non-empty name without dots, got ${JSON.stringify(field)}`);
    const vocabPath = stringOption(values, "vocab");
    if (vocabPath !== undefined && typeof values.connect !== "string") throw new UsageError("--vocab is for --connect (with --dir the collection's own vocabulary names the features)");
    const name = collectionName(values);

    const target = await openTarget(values, io);
    let out: WriteStream | undefined;
    try {
      const collection = await target.collection(name);
      // A server sends its vocabulary (the vocabulary op); --vocab names the features by another.
      const vocabulary = keys === "ids" ? undefined : vocabPath !== undefined ? readVocabulary(resolve(io.cwd, vocabPath)) : await collection.vocabulary();
      if (keys === "tokens" && vocabulary === undefined && (format.name === "opensearch" || format.name === "elasticsearch")) {
        io.stderr.write(`note: collection "${name}" has no vocabulary, so features are term ids\n`);
      }
      const ctx: ExportContext = {
        collection: name,
        config: collection.config,
        target: stringOption(values, "index") ?? name.toLowerCase(),
        vectorField: field,
        features: featureNames(vocabulary),
        notes: { raisedWeights: 0, hashedIds: 0 },
      };
      const mappingPath = stringOption(values, "mapping");
      if (mappingPath !== undefined) await writeFile(resolve(io.cwd, mappingPath), JSON.stringify(format.definition(ctx), null, 2) + "\n");

      const outPath = stringOption(values, "out");
      out = outPath === undefined ? undefined : createWriteStream(resolve(io.cwd, outPath));
      const write = streamWriter(out ?? (io.stdout as Writable));
      const total = await collection.count();
      const progress = new Progress(io.stderr, `export ${name}`, total);
      let interrupted = false;
      void io.interrupted.then(() => (interrupted = true));
      const written = await exportCollection(collection, format, ctx, write, {
        pageSize,
        filter,
        stop: () => interrupted,
        onPage: (n) => progress.update(n, n),
      });
      if (out !== undefined) await closeStream(out);
      out = undefined;
      progress.done(written, written);
      const notes = [
        ctx.notes.hashedIds > 0 ? `${ctx.notes.hashedIds} ids written as hashes (the original in "id")` : "",
        ctx.notes.raisedWeights > 0 ? `${ctx.notes.raisedWeights} weights below 2^-126 raised to it (the smallest value these engines accept)` : "",
      ].filter((n) => n !== "");
      const where = outPath ?? "standard output";
      io.stderr.write(`${interrupted ? "export interrupted" : "exported"}: ${written} documents of "${name}" as ${format.name} to ${where}${mappingPath ? `, definition in ${mappingPath}` : ""}${notes.length ? `; ${notes.join("; ")}` : ""}\n`);
      return interrupted ? EXIT_FAILURE : EXIT_OK;
    } finally {
      if (out !== undefined) out.destroy();
      await target.close();
    }
  },
};

/** A vocab.txt (one token a line, line i = term id i) or a tokenizer.json. */
function readVocabulary(path: string): Vocabulary {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new SparseDbError("NOT_FOUND", `cannot read --vocab ${path}: ${(e as Error).message}`);
  }
  if (path.endsWith(".json")) {
    try {
      return Vocabulary.fromTokenizerJson(JSON.parse(text));
    } catch (e) {
      throw new SparseDbError("INVALID_ARGUMENT", `--vocab ${path} is not a tokenizer.json: ${(e as Error).message}`);
    }
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return new Vocabulary(lines.map((l) => l.replace(/\r$/, "")));
}

/** What a command writes to: a stream (a file, the process's stdout) or a test's buffer. */
interface Writable {
  write(s: string): unknown;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Writes a page, waiting for "drain" when a stream's buffer is full (so a slow reader bounds memory). */
function streamWriter(out: Writable): (s: string) => Promise<void> {
  return (s) => {
    if (out.write(s) !== false || out.once === undefined) return Promise.resolve();
    return new Promise<void>((resolveWrite, reject) => {
      const onError = (e: unknown) => reject(new SparseDbError("IO_ERROR", `cannot write the export: ${(e as Error).message}`));
      out.once!("error", onError);
      out.once!("drain", () => {
        out.off?.("error", onError);
        resolveWrite();
      });
    });
  };
}

function closeStream(out: WriteStream): Promise<void> {
  return new Promise((resolveClose, reject) => {
    out.once("error", (e) => reject(new SparseDbError("IO_ERROR", `cannot write the export: ${e.message}`)));
    out.end(() => resolveClose());
  });
}
