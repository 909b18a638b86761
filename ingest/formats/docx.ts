import { asParseError, ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';
import { checkZipInflation } from '../zip-limits.js';
import { htmlSections } from './html.js';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

export const parseDocx: FormatParser = async ({ bytes, name }) => {
  if (!ZIP_MAGIC.every((b, i) => bytes[i] === b))
    throw new ParseError('format_mismatch', 'a .docx file is a ZIP archive, and this one is not');
  checkZipInflation(bytes);
  // Through HTML so that Word headings become section boundaries.
  const { default: mammoth } = await import('mammoth'); // loaded on the first DOCX
  const { value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(bytes) }).catch((e: unknown) => {
    throw asParseError(e, 'unreadable DOCX');
  });
  const sections = htmlSections(html);
  return {
    title: sections.find((s) => s.heading)?.heading ?? name,
    mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    format: 'docx',
    meta: { kind: 'plain' },
    sections,
  };
};
