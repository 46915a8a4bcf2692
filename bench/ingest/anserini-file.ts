import { createWriteStream, readFileSync } from "node:fs";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { generateDocumentBatch } from "../synthetic/generator.js";

/** bert-base-uncased's tokens in id order (the shipped vocab.txt), as the ingest's vocabulary has them. */
export function bertTokens(): string[] {
  const path = fileURLToPath(new URL("../../../encoder/vocab/bert-base-uncased/vocab.txt", import.meta.url));
  const lines = readFileSync(path, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

type DocumentBatch = ReturnType<typeof generateDocumentBatch>;

/**
 * Writes `docs` synthetic documents (bench/synthetic, seed `seed`) to `path`, one line each from
 * `line(batch, i, tokens)`, which returns the line and the postings it holds. Resolves to the
 * file's bytes and postings written.
 */
async function writeDocumentLines(
  path: string,
  docs: number,
  seed: number,
  line: (batch: DocumentBatch, i: number, tokens: string[]) => { text: string; postings: number },
): Promise<{ bytes: number; postings: number }> {
  const tokens = bertTokens();
  const out = createWriteStream(path, { highWaterMark: 1 << 22 });
  let bytes = 0, postings = 0;
  for (let first = 0; first < docs; first += 8192) {
    const batch = generateDocumentBatch(first, Math.min(8192, docs - first), { seed });
    const lines: string[] = [];
    for (let i = 0; i < batch.count; i++) {
      const l = line(batch, i, tokens);
      lines.push(l.text);
      postings += l.postings;
    }
    const text = lines.join("");
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { bytes, postings };
}

/**
 * Writes `docs` synthetic documents (bench/synthetic, seed `seed`) as an Anserini pre-encoded TSV
 * file (`doc-N<TAB>tok tok ...`, each token repeated round(weight * scale) times; terms whose
 * count rounds to 0 are left out, as Anserini leaves them out). Resolves to the file's bytes and
 * postings written.
 */
export function writeAnseriniFile(path: string, docs: number, o: { seed: number; scale: number }): Promise<{ bytes: number; postings: number }> {
  return writeDocumentLines(path, docs, o.seed, (batch, i, tokens) => {
    const parts: string[] = [];
    let postings = 0;
    for (let p = batch.docOffsets[i]!; p < batch.docOffsets[i + 1]!; p++) {
      const repeats = Math.round(batch.weights[p]! * o.scale);
      if (repeats === 0) continue;
      const tok = tokens[batch.terms[p]!]!;
      for (let r = 0; r < repeats; r++) parts.push(tok);
      postings++;
    }
    if (parts.length === 0) parts.push(tokens[1000]!); // every line holds a vector
    return { text: `doc-${batch.firstDoc + i}\t${parts.join(" ")}\n`, postings };
  });
}

/**
 * Writes `docs` synthetic documents as JSON lines of token vectors (`{"id":"doc-N","vector":
 * {"tok":0.1234,...}}`, weights rounded to 4 decimals as an exporter would write them; terms
 * whose weight rounds to 0 are left out, and so are the BERT tokens "terms", "weights" and
 * "tokens", which a bare token map cannot hold: input/json-vector.ts reads them as another form
 * of vector). Resolves to the file's bytes and postings written.
 */
export function writeJsonlFile(path: string, docs: number, o: { seed: number }): Promise<{ bytes: number; postings: number }> {
  return writeDocumentLines(path, docs, o.seed, (batch, i, tokens) => {
    const vector: Record<string, number> = {};
    let postings = 0;
    for (let p = batch.docOffsets[i]!; p < batch.docOffsets[i + 1]!; p++) {
      const w = Number(batch.weights[p]!.toFixed(4));
      const tok = tokens[batch.terms[p]!]!;
      if (w === 0 || tok === "terms" || tok === "weights" || tok === "tokens") continue;
      vector[tok] = w;
      postings++;
    }
    return { text: `${JSON.stringify({ id: `doc-${batch.firstDoc + i}`, vector })}\n`, postings };
  });
}
