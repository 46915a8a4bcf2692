import { intOption, jsonOption, parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import type { Filter } from "../../filter.js";
import type { ScrollRequest } from "../../requests.js";
import { checkScroll, MAX_SCROLL_LIMIT } from "../../scroll-request.js";
import type { Command } from "./command.js";
import { documentJson } from "./get.js";

const HELP = `Usage: sparsedb scroll [options]

Lists one page of the collection's live documents in id order, one JSON line each (as \`get\`
prints them: id, metadata, stored text, vector), and says on stderr how to get the next page:
pass the cursor it prints to --cursor. A page reads one snapshot; documents written behind the
cursor meanwhile are not seen, deleted ones not listed (the library's collection.scroll). To
write a whole collection to a file, use \`sparsedb export\`.

Options:
      --limit N          documents a page, 1..${MAX_SCROLL_LIMIT} (default 10; a server may allow fewer)
      --cursor C         the page after the one that printed this cursor (default: the first page)
      --filter JSON      only documents whose metadata matches (the search filter language)
      --no-vectors       leave the vectors out
      --json             print the page as one JSON object {documents, nextCursor} instead
${TARGET_HELP}
  -h, --help             this help`;

export const scrollCommand: Command = {
  name: "scroll",
  summary: "list documents a page at a time, in id order",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("scroll", argv, {
      ...TARGET_OPTIONS,
      limit: { type: "string" },
      cursor: { type: "string" },
      filter: { type: "string" },
      "no-vectors": { type: "boolean" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`scroll takes no arguments (got ${JSON.stringify(positionals[0])}); the next page is --cursor C`);
    const request: ScrollRequest = { limit: intOption(values, "limit", 10, 1, MAX_SCROLL_LIMIT), withVectors: values["no-vectors"] !== true };
    const cursor = stringOption(values, "cursor");
    if (cursor !== undefined) request.cursor = cursor;
    const filter = jsonOption(values, "filter");
    if (filter !== undefined) request.filter = filter as Filter;
    checkScroll(request); // a bad cursor or filter fails before anything is opened
    const target = await openTarget(values, io);
    try {
      const page = await (await target.collection(collectionName(values))).scroll(request);
      if (values.json === true) {
        const documents = page.documents.map((d) => documentJson(d, { metadata: true }));
        io.stdout.write(JSON.stringify({ documents, nextCursor: page.nextCursor }) + "\n");
      } else {
        for (const d of page.documents) io.stdout.write(JSON.stringify(documentJson(d, { metadata: true })) + "\n");
        io.stderr.write(page.nextCursor === null
          ? `${page.documents.length} documents; that is the last page\n`
          : `${page.documents.length} documents; next page: --cursor ${page.nextCursor}\n`);
      }
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};
