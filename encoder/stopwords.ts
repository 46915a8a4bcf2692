/**
 * English stopwords for the BM25 analyzer: the 33 words of Lucene's EnglishAnalyzer default set
 * (ENGLISH_STOP_WORDS_SET, the same list StopFilter has used since Lucene 1.x), written out here
 * rather than read from Lucene. Lower case, as the uncased BERT tokenizer produces words.
 */
export const ENGLISH_STOPWORDS: readonly string[] = [
  "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
  "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
  "they", "this", "to", "was", "will", "with",
];

/** The stopword lists a BM25 config can name. */
export const STOPWORD_LISTS = {
  none: [] as readonly string[],
  english: ENGLISH_STOPWORDS,
} as const;

export type StopwordListName = keyof typeof STOPWORD_LISTS;
