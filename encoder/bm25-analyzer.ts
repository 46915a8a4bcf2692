import type { Vocabulary } from "../engine/vocabulary.js";
import { STOPWORD_LISTS, type StopwordListName } from "./stopwords.js";

export interface AnalyzerOptions {
  /** Drop word pieces made only of punctuation and symbols ("." "," "(" "##-" ...). */
  dropPunctuation: boolean;
  /** Drop whole words on this list ("none" keeps every word). */
  stopwords: StopwordListName;
}

const PUNCTUATION_ONLY = /^[\p{P}\p{S}]+$/u;

/**
 * BM25's analysis in WordPiece space, applied alike to documents and queries after the
 * tokenizer: it removes punctuation pieces and stopwords from a text's content term ids. A
 * stopword is a whole word: a piece that starts a word (no "##"), equals a listed word, and is
 * not followed by a kept "##" continuation (so "the" goes, but "the" + "##ory" stays). What remains
 * is what BM25 counts: its term frequencies and the document's length.
 */
export class Bm25Analyzer {
  private readonly drop: Uint8Array;
  private readonly stop: Uint8Array;
  private readonly continuation: Uint8Array;
  private readonly active: boolean;

  constructor(vocabulary: Vocabulary, readonly options: AnalyzerOptions) {
    const n = vocabulary.size;
    this.drop = new Uint8Array(n);
    this.stop = new Uint8Array(n);
    this.continuation = new Uint8Array(n);
    const stopwords = new Set(STOPWORD_LISTS[options.stopwords]);
    for (let id = 0; id < n; id++) {
      const token = vocabulary.tokens[id]!;
      const isContinuation = token.startsWith("##") && token.length > 2;
      const bare = isContinuation ? token.slice(2) : token;
      if (isContinuation) this.continuation[id] = 1;
      if (options.dropPunctuation && PUNCTUATION_ONLY.test(bare)) this.drop[id] = 1;
      if (!isContinuation && stopwords.has(token)) this.stop[id] = 1;
    }
    this.active = options.dropPunctuation || stopwords.size > 0;
  }

  /** Whether `next` continues the word before it with something kept (a dropped "##." does not). */
  private continuesWord(next: number | undefined): boolean {
    return next !== undefined && this.continuation[next] === 1 && this.drop[next] !== 1;
  }

  /** The content ids BM25 counts, in text order. */
  filter(ids: number[]): number[] {
    if (!this.active) return ids;
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (this.drop[id] === 1) continue;
      if (this.stop[id] === 1 && !this.continuesWord(ids[i + 1])) continue;
      out.push(id);
    }
    return out;
  }
}
