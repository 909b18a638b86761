/** The format registry: which parser reads which format, and which file names claim which format. */
import type { Format } from '../../schemas/document.js';
import type { FormatParser } from '../types.js';
import { parseCcda } from './ccda.js';
import { parseCalendar } from './calendar.js';
import { parseContacts } from './contacts.js';
import { parseCsv } from './csv.js';
import { parseDocx } from './docx.js';
import { parseEmail } from './email.js';
import { parseFhir } from './fhir.js';
import { parseHtml } from './html.js';
import { parseImage } from './image.js';
import { parseMarkdown } from './markdown.js';
import { parseOfx } from './ofx.js';
import { parsePdf } from './pdf.js';
import { parseText } from './text.js';
import { parseXlsx } from './xlsx.js';

/** Formats read from a stream rather than whole (see ingest/index.ts), and those read whole. */
export type StreamedFormat = 'health';
export type WholeFormat = Exclude<Format, StreamedFormat>;

export const PARSERS: Record<WholeFormat, FormatParser> = {
  txt: parseText,
  md: parseMarkdown,
  html: parseHtml,
  pdf: parsePdf,
  docx: parseDocx,
  eml: parseEmail,
  csv: parseCsv,
  xlsx: parseXlsx,
  fhir: parseFhir,
  ccda: parseCcda,
  ofx: parseOfx,
  ics: parseCalendar,
  vcf: parseContacts,
  image: parseImage,
};

/** `.xml` claims C-CDA; an Apple Health export is told apart by its content (ingest/index.ts). */
export const BY_EXTENSION: Record<string, WholeFormat | 'mbox'> = {
  '.txt': 'txt',
  '.text': 'txt',
  '.log': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.eml': 'eml',
  '.mbox': 'mbox',
  '.mbx': 'mbox',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.xlsx': 'xlsx',
  '.json': 'fhir',
  '.xml': 'ccda',
  '.ofx': 'ofx',
  '.qfx': 'ofx',
  '.ics': 'ics',
  '.ical': 'ics',
  '.vcf': 'vcf',
  '.vcard': 'vcf',
  '.png': 'image',
  '.jpg': 'image',
  '.jpeg': 'image',
  '.tif': 'image',
  '.tiff': 'image',
};
