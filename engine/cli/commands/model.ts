import { join, resolve } from "node:path";
import { progressPrinter, pullModel } from "../../../encoder/index.js";
import { parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb model pull REPO [options]

Downloads a SPLADE model folder (an ONNX export, tokenizer.json, config.json) from the Hugging
Face hub or a mirror, resuming a broken download and checking sizes and hashes. Use the folder
with --model DIR (or $SPARSEDB_MODEL).

Options:
      --revision REV     branch, tag or commit (default main)
      --dir DIR          where the folder goes (default ./models/<owner>--<name>)
      --base-url URL     the hub or a mirror (default $HF_ENDPOINT or https://huggingface.co)
      --overwrite        replace an existing folder
  -h, --help             this help`;

export const modelCommand: Command = {
  name: "model",
  handlesInterrupt: true,
  summary: "model pull REPO: download a SPLADE model",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("model", argv, {
      revision: { type: "string" },
      dir: { type: "string" },
      "base-url": { type: "string" },
      overwrite: { type: "boolean" },
    });
    const [sub, repo, ...extra] = positionals;
    if (sub !== "pull") throw new UsageError(sub === undefined ? "model needs a subcommand: pull" : `unknown model subcommand "${sub}"; use pull`);
    if (repo === undefined || extra.length > 0) throw new UsageError("model pull takes exactly one REPO, e.g. naver/splade-v3");
    const controller = new AbortController();
    void io.interrupted.then(() => controller.abort());
    const given = stringOption(values, "dir");
    const dir = resolve(io.cwd, given ?? join("models", repo.split("/").join("--")));
    const baseUrl = stringOption(values, "base-url");
    const revision = stringOption(values, "revision");
    const result = await pullModel(repo, {
      dir,
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(revision !== undefined ? { revision } : {}),
      overwrite: values.overwrite === true,
      onProgress: progressPrinter(io.stderr as NodeJS.WriteStream),
      signal: controller.signal,
    });
    io.stdout.write(`model ${repo} is in ${result.dir}${result.commit ? ` (commit ${result.commit})` : ""}: ${result.files.map((f) => f.name).join(", ")}\nuse it with --model ${result.dir}\n`);
    return EXIT_OK;
  },
};
