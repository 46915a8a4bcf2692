import { resolve } from "node:path";
import { SparseClient } from "../../client/sparse-client.js";
import { Database } from "../../database.js";
import type { SearchHit, SearchRequest } from "../../requests.js";
import { SparseServer } from "../../server/server.js";
import { SAMPLE_CORPUS } from "../../sample/sample-corpus.js";
import { parseCommandArgs, stringOption } from "../cli-args.js";
import { EXIT_OK } from "../cli-io.js";
import { encoderFromFlags } from "../encoder-flags.js";
import type { Command } from "./command.js";
import { formatHits } from "./search.js";

const HELP = `Usage: sparsedb demo [options]

A tour in one command: creates a database in a local folder, ingests the project's sample corpus
(${SAMPLE_CORPUS.length} short passages), runs a few searches with explanations, then starts a
server on a free loopback port and queries it with the TypeScript client.

It uses a SPLADE model when one is configured (--model DIR or $SPARSEDB_MODEL) and the lexical
BM25 encoder otherwise, and says which.

Options:
      --dir DIR          where the demo database goes (default ./sparsedb-demo; its "demo"
                         collection is recreated)
      --model DIR        a SPLADE model folder (default $SPARSEDB_MODEL)
  -h, --help             this help`;

const QUERIES: { title: string; request: Omit<SearchRequest, "k">; k: number }[] = [
  { title: "what makes bread rise and taste sour", request: { text: "what makes bread rise and taste sour", explain: true }, k: 3 },
  { title: "how do animals find their way", request: { text: "how do animals find their way", explain: true }, k: 3 },
  {
    title: "volcanoes and plates, only geography passages after 2010",
    request: { text: "volcanoes tectonic plates", explain: true, filter: { topic: "geography", year: { gt: 2010 } } },
    k: 3,
  },
];

export const demoCommand: Command = {
  name: "demo",
  summary: "a guided tour: ingest a sample corpus, search, serve, query",
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs("demo", argv, { dir: { type: "string" }, model: { type: "string" } });
    const dir = resolve(io.cwd, stringOption(values, "dir") ?? "sparsedb-demo");
    const encoder = encoderFromFlags(values, io.env, io.cwd);
    const say = (s = "") => io.stdout.write(s + "\n");
    const text = new Map(SAMPLE_CORPUS.map((p) => [p.id, p.text]));
    const show = (hits: SearchHit[]) => formatHits(hits, { explain: true, topTokens: 5, text: (h) => text.get(h.id) });

    say(`== 1. A database in ${dir}`);
    const db = await Database.open(dir);
    if (db.hasCollection("demo")) await db.dropCollection("demo");
    const collection = await db.createCollection("demo", encoder === undefined ? {} : { encoder });
    if (encoder === undefined) say("No SPLADE model is configured (pass --model DIR or set SPARSEDB_MODEL), so the demo uses the lexical encoder.");
    else say("A SPLADE model is configured, so the demo uses it.");
    say(`Encoder: ${collection.encoderDescription}`);

    say();
    say(`== 2. Ingest ${SAMPLE_CORPUS.length} sample passages (text is encoded to sparse vectors on the way in)`);
    const started = performance.now();
    await collection.upsert(SAMPLE_CORPUS.map((p) => ({ id: p.id, text: p.text, metadata: p.metadata })));
    await collection.flush();
    say(`${await collection.count()} documents in ${(performance.now() - started).toFixed(0)} ms`);

    say();
    say("== 3. Searches (score = dot product; under each hit, its top tokens: contribution (query x document weight))");
    for (const q of QUERIES) {
      say(`\n> ${q.title}${q.request.filter ? `   filter ${JSON.stringify(q.request.filter)}` : ""}`);
      io.stdout.write(show(await collection.search({ ...q.request, k: q.k })));
    }
    await db.close();

    say();
    say("== 4. The same database over TCP");
    const reopened = await Database.open(dir);
    const server = await SparseServer.listen(reopened, { host: "127.0.0.1", port: 0 });
    say(`Started \`sparsedb serve --dir ${dir} --port ${server.port}\` in this process (port chosen by the OS).`);
    try {
      const client = await SparseClient.connect({ port: server.port });
      try {
        const remote = await client.collection("demo");
        say(`Client: ${(await client.listCollections()).length} collection(s); "demo" holds ${await remote.count()} documents`);
        say(`\n> (over TCP) how do search engines answer queries`);
        io.stdout.write(show(await remote.search({ text: "how do search engines answer queries", k: 3, explain: true })));
      } finally {
        await client.close();
      }
    } finally {
      await server.close();
      await reopened.close();
    }

    say();
    say("== 5. Try it yourself");
    say(`  sparsedb search --dir ${dir} -c demo --explain "why is the sea salty"`);
    say(`  sparsedb serve --dir ${dir}                  # 127.0.0.1:7700; Ctrl-C stops it cleanly`);
    say(`  sparsedb search --connect 127.0.0.1:7700 -c demo "jet lag"`);
    say("  // TypeScript:");
    say(`  import { SparseClient } from "sparsedb";`);
    say(`  const client = await SparseClient.connect({ port: 7700 });`);
    say(`  const hits = await (await client.collection("demo")).search({ text: "jet lag", k: 5, explain: true });`);
    return EXIT_OK;
  },
};
