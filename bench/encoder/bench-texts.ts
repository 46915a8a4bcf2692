import { readFileSync } from "node:fs";
import { SAMPLE_TEXTS } from "../../encoder/sample-texts.js";

/**
 * Texts for the encoder benchmark: from a file (one text a line; `id<TAB>text` lines give their
 * last column, as MS MARCO's collection.tsv), or else the project's sample passages run together
 * from a different start each, long enough to fill the token length being measured.
 */
export function benchTexts(count: number, tokens: number, file?: string): string[] {
  if (file !== undefined) {
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
    if (lines.length === 0) throw new Error(`${file} holds no text lines`);
    return Array.from({ length: count }, (_, i) => lines[i % lines.length]!.split("\t").at(-1)!);
  }
  // About 1.3 word pieces per word: take words until there are surely enough to truncate.
  const wordsNeeded = Math.ceil(tokens * 1.2) + 8;
  return Array.from({ length: count }, (_, i) => {
    const words: string[] = [];
    for (let j = i; words.length < wordsNeeded; j++) words.push(...SAMPLE_TEXTS[j % SAMPLE_TEXTS.length]!.split(" "));
    return words.slice(0, wordsNeeded).join(" ");
  });
}
