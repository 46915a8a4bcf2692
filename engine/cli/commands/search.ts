import type { SearchHit, SearchRequest } from "../../requests.js";
import { jsonOption, parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_OK, UsageError } from "../cli-io.js";
import { checkSearch } from "../../validate-request.js";
import { collectionName, openTarget, TARGET_HELP, TARGET_OPTIONS } from "../target.js";
import { INCLUDE_HELP, INCLUDE_OPTIONS, includeFromFlags } from "../include-flags.js";
import type { Command } from "./command.js";
import { DENSE_QUERY_HELP, DENSE_QUERY_OPTIONS, denseQueryFromFlags } from "../dense-flags.js";
import { checkQueryFlags, QUERIES_HELP, QUERIES_OPTIONS, runQueryFile } from "./search-queries.js";

const HELP = `Usage: sparsedb search [options] "query text"
       sparsedb search [options] --vector '{"terms": [...], "weights": [...]}'
       sparsedb search [options] --vector '{"tokens": {"rain": 1.2, "forest": 0.8}}'
       sparsedb search [options] --queries FILE [--run FILE] [--qrels FILE]

Prints the top-k documents by dot product with the query (cosine in a cosine collection), best first.

Options:
${TARGET_HELP}
  -k, --k N              hits to return, 1..10000 (default 10; a server may allow fewer)
      --filter JSON      metadata filter, e.g. '{"lang": "en", "year": {"gte": 2000}}',
                         '{"tags": {"contains": "news"}}', '{"source.site": {"exists": true}}'
      --offset N         skip the first N hits (paging: hits N+1..N+k; offset + k <= 10000)
      --score-threshold X  only hits scoring >= X
      --mode MODE        exact (default), fast, or approximate
      --recall R         mode approximate: the recall@k to reach, 0.8..0.999 (default 0.95)
      --algorithm NAME   ranges (default) | ranges-ts | exhaustive | taat | maxscore | wand | bmw | bmm | bmp
      --explain          show each hit's top contributing tokens
      --vector JSON      a query vector instead of text: {"tokens": {"rain": 1.2, "##forest": 0.8}}
                         (WordPiece tokens; see sparsedb encode), {terms, weights} or {termId: weight}
      --include-text     show each hit's stored text (cut to 100 characters; --json has it whole)
${INCLUDE_HELP}
      --json             print the hits as JSON
${DENSE_QUERY_HELP}
${QUERIES_HELP}
  -h, --help             this help`;

export const searchCommand: Command = {
  name: "search",
  summary: "print the top-k documents for a query",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("search", argv, {
      ...TARGET_OPTIONS,
      k: { type: "string", short: "k" },
      filter: { type: "string" },
      offset: { type: "string" },
      "score-threshold": { type: "string" },
      mode: { type: "string" },
      recall: { type: "string" },
      algorithm: { type: "string" },
      explain: { type: "boolean" },
      vector: { type: "string" },
      json: { type: "boolean" },
      "include-text": { type: "boolean" },
      ...INCLUDE_OPTIONS,
      ...DENSE_QUERY_OPTIONS,
      ...QUERIES_OPTIONS,
    });
    // The request is checked by the library's rules (engine/validate-request.ts) where it is
    // run, locally or by the client and the server: the CLI only turns flags into its fields.
    const vector = jsonOption(values, "vector");
    const queries = stringOption(values, "queries");
    checkQueryFlags(values);
    if (positionals.length === 0 && vector === undefined && queries === undefined && values.dense === undefined) throw new UsageError("give a query text, --vector, --dense or --queries FILE");
    if (queries !== undefined && (positionals.length > 0 || vector !== undefined)) throw new UsageError("--queries runs the file's queries: give no query text or --vector with it");
    if (queries !== undefined && values.dense !== undefined) throw new UsageError("--queries runs the file's sparse queries; --dense is for one search (give a query text or --vector with it, or neither)");
    const req: Record<string, unknown> = { k: values.k === undefined ? 10 : numberOrText(values.k as string) };
    if (vector !== undefined) req.vector = vector;
    if (positionals.length > 0) req.text = positionals.join(" ");
    const filter = jsonOption(values, "filter");
    if (filter !== undefined) req.filter = filter;
    const offset = stringOption(values, "offset");
    if (offset !== undefined) req.offset = numberOrText(offset);
    const threshold = stringOption(values, "score-threshold");
    if (threshold !== undefined) req.scoreThreshold = numberOrText(threshold);
    const mode = stringOption(values, "mode");
    if (mode !== undefined) req.mode = mode;
    const recall = stringOption(values, "recall");
    if (recall !== undefined) req.recall = numberOrText(recall);
    const algorithm = stringOption(values, "algorithm");
    if (algorithm !== undefined) req.algorithm = algorithm;
    if (values.explain === true) req.explain = true;
    const include = includeFromFlags(values, values["include-text"] === true ? true : undefined);
    if (include !== undefined) req.include = include;
    Object.assign(req, denseQueryFromFlags(values, io.cwd));
    if (queries !== undefined) return runQueryFile(req, values, io);
    checkSearch(req, { vocabSize: 0xffffffff, keepTokens: true }); // before opening anything; the collection checks it again with its vocabulary
    const target = await openTarget(values, io);
    try {
      const collection = await target.collection(collectionName(values));
      const started = performance.now();
      const hits = await collection.search(req as unknown as SearchRequest);
      const ms = performance.now() - started;
      if (values.json === true) io.stdout.write(JSON.stringify(hits, null, 2) + "\n");
      else {
        const expected = hits.expectedRecall === undefined ? "" : ` (expected recall ${hits.expectedRecall.toFixed(3)})`;
        const firstRank = typeof req.offset === "number" ? req.offset + 1 : 1;
        io.stdout.write(formatHits(hits, { explain: req.explain === true, firstRank, text: (h) => h.text }) + `${hits.length} hits in ${ms.toFixed(1)} ms${expected}\n`);
      }
      return EXIT_OK;
    } finally {
      await target.close();
    }
  },
};

/** A flag's text as a number when it spells one ("10", "1.5", "-3"), else the text itself (refused as "not a number" where it is checked). */
function numberOrText(s: string): number | string {
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s.trim()) ? Number(s) : s;
}

/** Ranked hits, one a line, with the top contributing tokens under each when explained. */
export function formatHits(hits: SearchHit[], o: { explain: boolean; topTokens?: number; text?: (h: SearchHit) => string | undefined; firstRank?: number }): string {
  const idWidth = Math.min(Math.max(4, ...hits.map((h) => h.id.length)), 40);
  let out = "";
  hits.forEach((h, i) => {
    const meta = h.metadata === null || h.metadata === undefined ? "" : `  ${truncate(JSON.stringify(h.metadata), 80)}`;
    out += `${String(i + (o.firstRank ?? 1)).padStart(3)}. ${h.id.padEnd(idWidth)}  ${h.score.toFixed(4).padStart(9)}${meta}\n`;
    const text = o.text?.(h);
    if (text !== undefined) out += `      ${truncate(text, 100)}\n`;
    if (o.explain && h.legs !== undefined) {
      const leg = (name: string, l: { rank: number; score: number } | null) => (l === null ? `${name} -` : `${name} #${l.rank} ${l.score.toFixed(4)}`);
      out += `      ${leg("sparse", h.legs.sparse)}  ${leg("dense", h.legs.dense)}\n`;
    }
    if (o.explain && h.explain !== undefined) {
      const top = [...h.explain].sort((a, b) => b.contribution - a.contribution).slice(0, o.topTokens ?? 6);
      const parts = top.map((e) => `${e.token ?? `#${e.termId}`} ${e.contribution.toFixed(3)} (${e.queryWeight.toFixed(2)}x${e.docWeight.toFixed(2)})`);
      out += `      ${parts.join("  ")}\n`;
    }
  });
  return out;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 3) + "...";
}
