/**
 * A passage cut into what an extractive answer may quote: sentences of prose,
 * and whole records (a CSV row, a FHIR or statement line, a table row), each
 * rendered as its fields.
 */
import { renderRecord } from './records.js';

export interface Unit {
  /** The text as quoted in an answer. */
  text: string;
  /** The text as the document has it (a record before it is rendered). */
  source: string;
  /** A record rather than a sentence of prose. */
  record: boolean;
  /** Its place in the passage. */
  position: number;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
/** Titles and abbreviations the sentence segmenter mistakes for a sentence end ("Dr. Nair"). */
const ABBREVIATION_END =
  /(?:^|\s)(?:Dr|Mr|Mrs|Ms|Prof|St|No|Nr|vs|etc|e\.g|i\.e|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$/i;

/** A line that is a record (a table row, a header, a key: value list, a dated statement line) rather than wrapped prose. */
const RECORD_LINE = /[:;]\s|\t| — | \| /;
const MAX_RECORD_CHARS = 240;
/** Two sentences in a line (a word, not a title like "Mr.", ends the first): prose, even with a colon in it. */
const SENTENCE_BREAK = /[\p{Ll}\p{N})\]]{2}[.!?]\s+\p{Lu}/u;
const TABULAR = /\t| — | \| /;

const isRecord = (line: string) => RECORD_LINE.test(line) && (TABULAR.test(line) || !SENTENCE_BREAK.test(line));
/** Cells of a table row as the C-CDA and HTML parsers write them. */
const cellsOf = (line: string) => line.split(' | ').map((c) => c.trim());

function sentences(prose: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const { segment } of segmenter.segment(prose.replace(/\s+/g, ' '))) {
    pending += segment;
    if (!ABBREVIATION_END.test(pending.trim())) {
      if (pending.trim()) out.push(pending.trim());
      pending = '';
    }
  }
  if (pending.trim()) out.push(pending.trim());
  return out;
}

/**
 * A table's header row: the first row of the passage's first table, when the
 * row after it has as many cells and its own cells hold no figures (headers
 * name columns; a row cut off from its header must not be taken for one).
 */
function isHeader(line: string, next: string | undefined, seenRow: boolean): boolean {
  if (seenRow || next === undefined || !line.includes(' | ')) return false;
  const cells = cellsOf(line);
  return cellsOf(next).length === cells.length && cells.every((c) => c && !/\d/.test(c));
}

/**
 * Paragraphs; within a paragraph, lines when they are records, else the
 * wrapped lines joined into prose; then sentences. `section` (the passage's
 * heading) labels records that do not name their own kind.
 */
export function unitsOf(text: string, section: string | null): Unit[] {
  const lines = text.split(/\n\s*\n/).flatMap((paragraph): Array<{ line: string; record: boolean }> => {
    const rows = paragraph.split('\n').filter((l) => l.trim());
    const records = rows.filter(isRecord).length * 2 >= rows.length;
    // A record line as long as a paragraph (a mail header's explanation) is read as prose.
    return records
      ? rows.map((line) => ({ line: line.trim(), record: line.length <= MAX_RECORD_CHARS }))
      : [{ line: rows.join(' '), record: false }];
  });
  const out: Unit[] = [];
  let header: string[] | undefined;
  let seenRow = false;
  lines.forEach(({ line, record }, i) => {
    if (!record) {
      for (const s of sentences(line)) out.push({ text: s, source: s, record: false, position: out.length });
      return;
    }
    const next = lines[i + 1];
    if (!header && isHeader(line, next?.record ? next.line : undefined, seenRow)) {
      header = cellsOf(line);
      return;
    }
    if (line.includes(' | ')) seenRow = true;
    const cells = line.includes(' | ') ? cellsOf(line) : undefined;
    const columns = cells && header?.length === cells.length ? header : undefined;
    out.push({ text: renderRecord(line, section, columns), source: line, record: true, position: out.length });
  });
  return out;
}
