// Writes the package's default vocabulary, encoder/vocab/bert-base-uncased/{vocab.txt,
// tokenizer-config.json}, from the real bert-base-uncased tokenizer.json in the reference data
// ($SPARSEDB_DATA, default ../shared/data). Run: npm run vocab. The output is committed; a test
// (test/encoder/builtin-tokenizer.test.ts) holds it equal to the source file.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { builtinVocabularyDir, splitTokenizerJson } from "../encoder/builtin-tokenizer.js";
import { bertTokenizerPath, referenceDataDir } from "../encoder/data-paths.js";

const source = bertTokenizerPath();
if (source === undefined) {
  process.stderr.write(`no tokenizer/bert-base-uncased.tokenizer.json under ${referenceDataDir()}; set SPARSEDB_DATA to the reference data folder\n`);
  process.exit(1);
}
const { vocabText, config } = splitTokenizerJson(JSON.parse(readFileSync(source, "utf8")) as Record<string, unknown>);
const dir = builtinVocabularyDir();
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "vocab.txt"), vocabText);
writeFileSync(join(dir, "tokenizer-config.json"), JSON.stringify(config, null, 2) + "\n");
process.stdout.write(`wrote ${dir}/vocab.txt (${vocabText.split("\n").length - 1} tokens) and tokenizer-config.json from ${source}\n`);
