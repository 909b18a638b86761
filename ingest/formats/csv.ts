import { parse } from 'csv-parse/sync';
import type { Section } from '../../schemas/document.js';
import { decodeText } from '../decode.js';
import { asParseError, ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';

const ROWS_PER_SECTION = 50;
const DELIMITERS = [',', ';', '\t', '|'] as const;

/** The delimiter that occurs most in the header line, counting outside quotes. */
function detectDelimiter(text: string): string {
  const header = text.slice(0, text.search(/\r?\n|$/));
  const counts = new Map<string, number>();
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (DELIMITERS as readonly string[]).includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  let max = 0;
  for (const [d, n] of counts) if (n > max) [best, max] = [d, n];
  return best;
}

/** Dates as bank exports write them: ISO, US M/D/Y, European D.M.Y. */
function parseLooseDate(value: string): string | undefined {
  const v = value.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  // Groups of a match are always there; were one missing, Number(undefined) is NaN and the date is refused.
  let ymd: Array<string | undefined> | undefined;
  if (m) ymd = [m[1], m[2], m[3]];
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v))) ymd = [m[3], m[1], m[2]];
  else if ((m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v))) ymd = [m[3], m[2], m[1]];
  if (!ymd) return undefined;
  const d = new Date(Date.UTC(Number(ymd[0]), Number(ymd[1]) - 1, Number(ymd[2])));
  return Number.isFinite(d.getTime()) && d.getUTCDate() === Number(ymd[2]) ? d.toISOString() : undefined;
}

/** A table's records as `Column: value; …` lines, ROWS_PER_SECTION a section, and its earliest and latest dates. */
export function tableSections(
  rows: string[][],
  label = 'rows',
): { sections: Section[]; columns: string[]; records: number; earliest?: string; latest?: string } | undefined {
  const [header, ...records] = rows;
  if (!header || header.length < 2 || records.length === 0) return undefined;
  const columns = header.map((h, i) => h || `column ${i + 1}`);
  const dateCol = columns.findIndex((c) => /date|datum|fecha|data/i.test(c));
  let earliest: string | undefined;
  let latest: string | undefined;
  const sections: Section[] = [];
  for (let i = 0; i < records.length; i += ROWS_PER_SECTION) {
    const group = records.slice(i, i + ROWS_PER_SECTION);
    const lines = group.map((r) => {
      if (dateCol >= 0) {
        const d = parseLooseDate(r[dateCol] ?? '');
        if (d && (!latest || d > latest)) latest = d;
        if (d && (!earliest || d < earliest)) earliest = d;
      }
      return r
        .map((v, c) => (v ? `${columns[c] ?? `column ${c + 1}`}: ${v}` : ''))
        .filter(Boolean)
        .join('; ');
    });
    sections.push({ heading: `${label} ${i + 1}–${i + group.length}`, text: lines.filter(Boolean).join('\n') });
  }
  return { sections: sections.filter((s) => s.text), columns, records: records.length, earliest, latest };
}

export const parseCsv: FormatParser = async ({ bytes, name }) => {
  const text = decodeText(bytes);
  const delimiter = detectDelimiter(text);
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (e) {
    throw asParseError(e, 'unreadable CSV');
  }
  const table = tableSections(rows);
  if (!table) throw new ParseError('no_text', 'CSV has no header row with records under it');
  return {
    title: name,
    mediaType: 'text/csv',
    format: 'csv',
    date: table.latest,
    dateStart: table.earliest,
    dateEnd: table.latest,
    meta: { kind: 'table', columns: table.columns, rows: table.records, delimiter },
    sections: table.sections,
  };
};
