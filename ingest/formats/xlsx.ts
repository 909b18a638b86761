/** Excel workbooks (.xlsx, Office Open XML): every sheet as a table, read like CSV (header row, records). */
import readXlsxFile from 'read-excel-file/node';
import type { Section } from '../../schemas/document.js';
import { asParseError, ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';
import { checkZipInflation } from '../zip-limits.js';
import { tableSections } from './csv.js';

/** A cell as text: dates as ISO dates (their time when it is not midnight), numbers as written. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
  }
  if (typeof value === 'string') return value.trim();
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

export const parseXlsx: FormatParser = async ({ bytes, name }) => {
  checkZipInflation(bytes); // the archive's own magic was checked by ingest/sniff.ts
  let sheets: Awaited<ReturnType<typeof readXlsxFile>>;
  try {
    sheets = await readXlsxFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw asParseError(e, 'unreadable spreadsheet');
  }
  const sections: Section[] = [];
  const columns: string[] = [];
  const read: string[] = [];
  let rows = 0;
  let earliest: string | undefined;
  let latest: string | undefined;
  for (const { sheet, data } of sheets) {
    const table = tableSections(
      data.map((row) => row.map(cellText)).filter((row) => row.some(Boolean)),
      `${sheet}, rows`,
    );
    if (!table) continue;
    read.push(sheet);
    sections.push(...table.sections);
    for (const c of table.columns) if (!columns.includes(c)) columns.push(c);
    rows += table.records;
    if (table.latest && (!latest || table.latest > latest)) latest = table.latest;
    if (table.earliest && (!earliest || table.earliest < earliest)) earliest = table.earliest;
  }
  if (!sections.length) throw new ParseError('no_text', 'no sheet has a header row with records under it');
  return {
    title: name,
    mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    format: 'xlsx',
    date: latest,
    dateStart: earliest,
    dateEnd: latest,
    meta: { kind: 'table', columns, rows, sheets: read },
    sections,
  };
};
