/**
 * An answer without an LLM: the sentences of the retrieved passages that
 * share the most words with the question, each with its source marker. It
 * never says anything the documents do not.
 */
import type { Passage } from './context.js';

const STOP = new Set(
  'a an and are as at be by for from has have how i in is it its me my of on or that the their this to was were what when where which who why will with you your do does did can could should would about'.split(
    ' ',
  ),
);
const MAX_SENTENCES = 3;
const MAX_SENTENCE_CHARS = 400;

const terms = (text: string) =>
  new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOP.has(w)));

/** A bracketed number quoted from a document is not a citation. */
const unbracket = (text: string) => text.replaceAll('[', '(').replaceAll(']', ')');

const segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
/** Titles and abbreviations the sentence segmenter mistakes for a sentence end ("Dr. Nair"). */
const ABBREVIATION_END =
  /(?:^|\s)(?:Dr|Mr|Mrs|Ms|Prof|St|No|Nr|vs|etc|e\.g|i\.e|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$/i;

/** A line that is a record (a table row, a header, a key: value list) rather than wrapped prose. */
const RECORD_LINE = /[:;]\s|\t/;

/**
 * Sentences of a passage: paragraphs; within a paragraph, lines when they are
 * records (rows, headers), else the wrapped lines joined into prose; then
 * sentences.
 */
function sentencesOf(text: string): string[] {
  const out: string[] = [];
  const units = text.split(/\n\s*\n/).flatMap((paragraph) => {
    const lines = paragraph.split('\n').filter((l) => l.trim());
    return lines.filter((l) => RECORD_LINE.test(l)).length * 2 >= lines.length ? lines : [lines.join(' ')];
  });
  for (const line of units) {
    let pending = '';
    for (const { segment } of segmenter.segment(line.replace(/\s+/g, ' '))) {
      pending += segment;
      if (!ABBREVIATION_END.test(pending.trim())) {
        if (pending.trim()) out.push(pending.trim());
        pending = '';
      }
    }
    if (pending.trim()) out.push(pending.trim());
  }
  return out;
}

const NOTHING_FOUND = 'I found nothing in your documents that answers this.';

export function extractiveAnswer(question: string, passages: readonly Passage[]): string {
  const [first] = passages;
  if (!first) return NOTHING_FOUND;
  const wanted = terms(question);
  const scored = passages
    .flatMap((p, rank) =>
      sentencesOf(p.hit.text).map((segment, position) => {
        const sentence = unbracket(segment);
        const words = terms(sentence);
        const overlap = [...words].filter((w) => wanted.has(w)).length;
        return { n: p.n, position, sentence, score: overlap / Math.sqrt(words.size + 1) - rank * 0.01 };
      }),
    )
    .filter((s) => s.sentence.length > 0 && s.sentence.length <= MAX_SENTENCE_CHARS);
  const relevant = scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_SENTENCES);
  const chosen = relevant.length ? relevant : scored.filter((s) => s.n === first.n).slice(0, 1);
  if (!chosen.length) return `${unbracket(first.hit.text.slice(0, MAX_SENTENCE_CHARS).trim())} [${first.n}]`;
  chosen.sort((a, b) => a.n - b.n || a.position - b.position);
  return chosen.map((s) => `${s.sentence} [${s.n}]`).join('\n');
}
