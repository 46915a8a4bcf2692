import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { MalformedLineError } from "../../engine/input/line-reader.js";
import { readCollection, readQueries } from "../../bench/readers/msmarco.js";
import { collectQrels, loadQrels, readBeirQrels, readTrecQrels } from "../../engine/eval/qrels.js";
import { beirDocumentText, beirPaths, readBeirCorpus, readBeirQueries } from "../../bench/readers/beir.js";
import { hasSharedData, sharedDataPath } from "../../bench/readers/shared-data.js";

const dir = mkdtempSync(join(tmpdir(), "sparsedb-text-readers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function write(content: string, gzip = false, path = join(dir, `f${counter++}`)): string {
  writeFileSync(path, gzip ? gzipSync(Buffer.from(content)) : content);
  return path;
}

async function errorOf(p: Promise<unknown>): Promise<MalformedLineError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MalformedLineError);
  return err as MalformedLineError;
}

describe("MS MARCO collection and queries", () => {
  it("reads pid<TAB>text, plain and gzip, keeping tabs inside the text", async () => {
    const text = "0\tThe presence of communication\n1\tA\tsecond passage \u00e9t\u00e9\r\n";
    for (const gz of [false, true]) {
      const recs = await readCollection(write(text, gz)).toArray();
      expect(recs).toEqual([
        { id: "0", text: "The presence of communication" },
        { id: "1", text: "A\tsecond passage \u00e9t\u00e9" },
      ]);
    }
  });

  it("reports a line without a tab with its file and line", async () => {
    const path = write("1\tfirst\n2 second\n");
    const err = await errorOf(readQueries(path).toArray());
    expect(err.lineNumber).toBe(2);
    expect(err.message).toBe(`${path}:2: expected \`qid<TAB>text\` but the line has no tab`);
  });

  it("skips bad lines and honours limit", async () => {
    const stream = readCollection(write("1\ta\nbad\n\tx\n3\tc\n4\td\n"), { skipBadLines: true, limit: 2 });
    expect((await stream.toArray()).map((r) => r.id)).toEqual(["1", "3"]);
    expect(stream.skippedLines).toBe(2);
  });
});

describe("qrels", () => {
  it("reads TREC qrels with 0 or Q0 in the iteration column, tabs or spaces", async () => {
    const path = write("300674 0 7067032 1\n19335\tQ0\t1017759\t0\n23849 0 1020327 3\n23849 0 1120730 -1\n");
    const qrels = await loadQrels(path);
    expect([...qrels.keys()]).toEqual(["300674", "19335", "23849"]);
    expect(Object.fromEntries(qrels.get("23849")!)).toEqual({ 1020327: 3, 1120730: -1 });
    expect(qrels.get("19335")!.get("1017759")).toBe(0);
  });

  it("rejects a short line and a non-integer relevance with file:line", async () => {
    const a = write("1 0 d1 1\n1 0 d2\n");
    expect((await errorOf(readTrecQrels(a).toArray())).message).toBe(`${a}:2: expected 4 fields \`qid iter docid rel\`, found 3`);
    const b = write("1 0 d1 1\n\n1 0 d2 high\n", true);
    expect((await errorOf(readTrecQrels(b).toArray())).message).toBe(`${b}:3: relevance "high" is not an integer`);
  });

  it("reads BEIR qrels with their header, and loadQrels tells the forms apart", async () => {
    const path = write("query-id\tcorpus-id\tscore\nq1\tdoc1\t1\nq1\tdoc2\t2\nq2\tdoc1\t0\n", true);
    const js = await readBeirQrels(path).toArray();
    expect(js).toEqual([
      { queryId: "q1", docId: "doc1", relevance: 1 },
      { queryId: "q1", docId: "doc2", relevance: 2 },
      { queryId: "q2", docId: "doc1", relevance: 0 },
    ]);
    expect(await loadQrels(path)).toEqual(await collectQrels(js));
    const headerless = write("q1\tdoc1\t1\n");
    expect((await errorOf(readBeirQrels(headerless).toArray())).message).toContain(`${headerless}:1: expected the header`);
  });
});

describe("BEIR folders", () => {
  it("finds plain or gzipped files and reads corpus and queries", async () => {
    const folder = join(dir, "scifact");
    mkdirSync(join(folder, "qrels"), { recursive: true });
    write(
      [
        JSON.stringify({ _id: "4983", title: "Microstructural development", text: "Alterations of the architecture", metadata: {} }),
        JSON.stringify({ _id: "5836", text: "No title here" }),
      ].join("\n") + "\n",
      true,
      join(folder, "corpus.jsonl.gz"),
    );
    write(JSON.stringify({ _id: "1", text: "0-dimensional biomaterials" }) + "\n", false, join(folder, "queries.jsonl"));
    write("query-id\tcorpus-id\tscore\n1\t4983\t1\n", false, join(folder, "qrels", "test.tsv"));
    const paths = beirPaths(folder);
    expect(paths.corpus.endsWith("corpus.jsonl.gz")).toBe(true);
    const docs = await readBeirCorpus(paths.corpus).toArray();
    expect(docs).toEqual([
      { id: "4983", title: "Microstructural development", text: "Alterations of the architecture" },
      { id: "5836", title: "", text: "No title here" },
    ]);
    expect(beirDocumentText(docs[0]!)).toBe("Microstructural development Alterations of the architecture");
    expect(beirDocumentText(docs[1]!)).toBe("No title here");
    expect(await readBeirQueries(paths.queries).toArray()).toEqual([{ id: "1", text: "0-dimensional biomaterials" }]);
    expect(() => beirPaths(join(dir, "absent"))).toThrow(/corpus\.jsonl does not exist/);
  });

  it("names the file and line of a document without text", async () => {
    const path = write(JSON.stringify({ _id: "1", text: "ok" }) + "\n" + JSON.stringify({ _id: "2", title: "t" }) + "\n");
    expect((await errorOf(readBeirCorpus(path).toArray())).message).toBe(`${path}:2: document 2 has no "text" string`);
  });
});

const DEV_QRELS = "msmarco/qrels.msmarco-passage.dev-subset.txt";
const DEV_TOPICS = "msmarco/topics.msmarco-passage.dev-subset.txt";
const TOY_PASSAGES = "toy/msmarco-89-passages.tsv";

describe.skipIf(!hasSharedData(DEV_QRELS) || !hasSharedData(DEV_TOPICS) || !hasSharedData(TOY_PASSAGES))(
  "real MS MARCO files (shared data)",
  () => {
    it("reads 6980 dev topics, 7437 dev judgements and 89 passages", async () => {
      const topics = await readQueries(sharedDataPath(DEV_TOPICS)).toArray();
      expect(topics.length).toBe(6980);
      expect(topics.find((t) => t.id === "1048585")!.text).toBe("what is paula deen's brother");
      const judgements = await readTrecQrels(sharedDataPath(DEV_QRELS)).toArray();
      expect(judgements.length).toBe(7437);
      const qrels = await collectQrels(judgements);
      expect(qrels.size).toBe(6980);
      expect(judgements.every((j) => j.relevance === 1)).toBe(true);
      const passages = await readCollection(sharedDataPath(TOY_PASSAGES)).toArray();
      expect(passages.length).toBe(89);
      expect(passages[0]!.id).toBe("0");
    });
  },
);
