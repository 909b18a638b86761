import type { DocumentMeta, Format, Section } from '../schemas/document.js';

/** What one format parser reads. */
interface ParseInput {
  bytes: Uint8Array;
  /** The file name (no directories); used for titles and for extension checks. */
  name: string;
}

/** A file found inside another (an email attachment) that the dispatcher parses in turn. */
export interface ChildFile {
  name: string;
  bytes: Uint8Array;
}

/** A parser's result: the document minus what the dispatcher fills in (id, source, parent). */
export interface ParsedBody {
  title: string;
  mediaType: string;
  format: Format;
  date?: string;
  /** The earliest and latest dates of the records a document holds (ParsedDocument.dateStart, dateEnd). */
  dateStart?: string;
  dateEnd?: string;
  meta: DocumentMeta;
  sections: Section[];
  children?: ChildFile[];
}

export type FormatParser = (input: ParseInput) => Promise<ParsedBody>;
