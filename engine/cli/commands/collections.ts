import { withConfigDefaults, type CollectionConfig } from "../../database/collection-config.js";
import { SparseDbError } from "../../errors.js";
import { parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_OK, UsageError, type CliIo } from "../cli-io.js";
import { ENCODER_HELP, ENCODER_OPTIONS, encoderFromFlags } from "../encoder-flags.js";
import { metricFromFlags } from "../metric-flag.js";
import { denseConfigFromFlags } from "../dense-flags.js";
import { openTarget, TARGET_HELP, TARGET_OPTIONS, type Target } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb collections list [options]
       sparsedb collections create NAME [options] [encoder options]
       sparsedb collections drop NAME [options]
       sparsedb collections describe NAME [options]

Lists, creates, drops and describes the collections of a database folder (--dir) or of a
running server (--connect). \`create\` takes the encoder options \`ingest\` takes; \`describe\`
prints the collection's configuration (defaults filled in), encoder and figures as JSON.

Options:
${TARGET_HELP.split("\n").filter((l) => !/--collection/.test(l)).join("\n")}
      --json             list: print the collections as JSON
      --bits N           create: bits per quantized impact, 1..16 (default 8)
      --durability MODE  create: always (default) | batch | off
${ENCODER_HELP}
  -h, --help             this help`;

const SUBCOMMANDS = ["list", "create", "drop", "describe"] as const;

export const collectionsCommand: Command = {
  name: "collections",
  summary: "list | create NAME | drop NAME | describe NAME",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("collections", argv, {
      ...TARGET_OPTIONS,
      json: { type: "boolean" },
      bits: { type: "string" },
      durability: { type: "string" },
      ...ENCODER_OPTIONS,
    });
    if (values.collection !== undefined) throw new UsageError("collections takes the collection's NAME as an argument, not --collection");
    const [sub, name, ...extra] = positionals;
    if (sub === undefined) throw new UsageError(`collections needs a subcommand: ${SUBCOMMANDS.join(", ")}`);
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown collections subcommand "${sub}"; use ${SUBCOMMANDS.join(", ")}`);
    if (sub === "list") {
      if (name !== undefined) throw new UsageError("collections list takes no NAME");
    } else if (name === undefined || extra.length > 0) throw new UsageError(`collections ${sub} takes exactly one NAME`);
    // Flags that only creating uses are refused elsewhere rather than silently ignored.
    const createOnly = ["bits", "durability", ...Object.keys(ENCODER_OPTIONS)].filter((f) => values[f] !== undefined);
    if (sub !== "create" && createOnly.length > 0) throw new UsageError(`--${createOnly[0]} is for collections create, not ${sub}`);
    const config = sub === "create" ? configFromFlags(values, io) : undefined; // bad flags fail before anything is opened
    const target = await openTarget(values, io, { create: sub === "create" });
    try {
      switch (sub) {
        case "list":
          return await list(target, io, values.json === true);
        case "create": {
          const c = await target.createCollection(name!, config!);
          io.stdout.write(`created collection "${c.name}" in ${target.where} with encoder: ${c.encoderDescription}\n`);
          return EXIT_OK;
        }
        case "drop":
          await target.dropCollection(name!);
          io.stdout.write(`dropped collection "${name}" from ${target.where}\n`);
          return EXIT_OK;
        default:
          return await describe(target, name!, io);
      }
    } finally {
      await target.close();
    }
  },
};

function configFromFlags(values: Record<string, unknown>, io: CliIo): CollectionConfig {
  const config: CollectionConfig = {};
  const encoder = encoderFromFlags(values, io.env, io.cwd);
  if (encoder !== undefined) config.encoder = encoder;
  Object.assign(config, metricFromFlags(values), denseConfigFromFlags(values, io.cwd));
  const bits = stringOption(values, "bits");
  if (bits !== undefined) {
    if (!/^\d+$/.test(bits)) throw new UsageError(`--bits must be an integer, got ${JSON.stringify(bits)}`);
    config.bits = Number(bits); // its range is the library's to check
  }
  const durability = stringOption(values, "durability");
  if (durability !== undefined) config.durability = durability as CollectionConfig["durability"];
  return config;
}

async function list(target: Target, io: CliIo, json: boolean): Promise<number> {
  const all = await target.listCollections();
  if (json) {
    io.stdout.write(JSON.stringify(all, null, 2) + "\n");
    return EXIT_OK;
  }
  if (all.length === 0) {
    io.stdout.write(`no collections in ${target.where}; create one with \`sparsedb collections create NAME\` or \`sparsedb ingest\`\n`);
    return EXIT_OK;
  }
  const width = Math.max(4, ...all.map((c) => c.name.length));
  io.stdout.write(`${"name".padEnd(width)}  ${"encoder".padEnd(14)}  created\n`);
  for (const c of all) io.stdout.write(`${c.name.padEnd(width)}  ${(c.config.encoder?.kind ?? "bm25").padEnd(14)}  ${c.createdAt}\n`);
  return EXIT_OK;
}

async function describe(target: Target, name: string, io: CliIo): Promise<number> {
  const entry = (await target.listCollections()).find((c) => c.name === name);
  const c = await target.collection(name); // NOT_FOUND (with the names that exist) when absent
  if (entry === undefined) throw new SparseDbError("NOT_FOUND", `no collection "${name}" in ${target.where}`);
  const out = { name: c.name, where: target.where, encoder: c.encoderDescription, config: withConfigDefaults(c.config), createdAt: entry.createdAt, stats: await c.stats() };
  io.stdout.write(JSON.stringify(out, null, 2) + "\n");
  return EXIT_OK;
}
