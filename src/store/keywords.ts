/**
 * Plain keyword tokens: Unicode words, lower-cased, stopwords dropped. The
 * sealer (src/store/sealer.ts) decides whether the full-text index stores
 * them as they are or as keyed hashes (a blind index); `keywordColumn` is
 * what a chunk's row holds either way.
 */

/** Words too common to help ranking; dropping them keeps the index and queries small. */
const STOPWORDS = new Set(
  (
    'a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our she so ' +
    'that the their them then there these they this to was we were what when where which who why will with you your ' +
    'do does did can could would should about how'
  ).split(' '),
);

const MAX_TOKEN_CHARS = 40;

/** Unicode-aware words: NFKC, lower case, split on anything not a letter or digit. */
export function plainTokens(text: string): string[] {
  const out: string[] = [];
  for (const word of text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)) {
    if (word.length < 2 && !/^\p{N}$/u.test(word)) continue;
    if (word.length > MAX_TOKEN_CHARS || STOPWORDS.has(word)) continue;
    out.push(word);
  }
  return out;
}

/**
 * A chunk's keyword column: its distinct tokens, sorted. Tokens in document
 * order with their repeats would be the text under a per-owner substitution
 * cipher; a sorted set says only which tokens occur. Counts are dropped too:
 * chunks are short (at most one model window), so BM25's saturating term
 * frequency adds little beside the vector search, and per-chunk counts would
 * be one more frequency profile for someone holding the volume.
 */
export function keywordColumn(tokens: readonly string[]): string {
  return [...new Set(tokens)].sort().join(' ');
}
