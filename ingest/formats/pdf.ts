import type { Section } from '../../schemas/document.js';
import { isoDate, tidyText } from '../decode.js';
import { asParseError, ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';

/** A page count beyond any real statement or chart; a guard against hostile files. */
const MAX_PDF_PAGES = 10_000;

interface TextItemLike {
  str?: string;
  hasEOL?: boolean;
}

function pageText(items: readonly TextItemLike[]): string {
  let out = '';
  for (const item of items) {
    if (typeof item.str !== 'string') continue;
    out += item.str;
    if (item.hasEOL) out += '\n';
  }
  return tidyText(out);
}

/** Text layer of a PDF, one section per page (pages without text are left out, their numbers kept). */
export async function pdfPages(
  bytes: Uint8Array,
): Promise<{ sections: Section[]; pages: number; title?: string; author?: string; date?: string }> {
  if (!startsWithPdfMagic(bytes)) throw new ParseError('format_mismatch', 'file does not start with %PDF-');
  // pdf.js is large: loaded on the first PDF, not by every process that imports the parsers.
  const { getDocument, PDFDateString, VerbosityLevel } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({
    data: new Uint8Array(bytes), // pdf.js detaches the buffer it is given
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: VerbosityLevel.ERRORS,
  });
  try {
    const doc = await task.promise.catch((e: unknown) => {
      throw asParseError(e, 'unreadable PDF');
    });
    if (doc.numPages > MAX_PDF_PAGES)
      throw new ParseError('too_large', `PDF has ${doc.numPages} pages (limit ${MAX_PDF_PAGES})`);
    const sections: Section[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const text = pageText(content.items as TextItemLike[]);
      page.cleanup();
      if (text) sections.push({ page: n, text });
    }
    const { info } = (await doc.getMetadata().catch(() => ({ info: {} }))) as { info: Record<string, unknown> };
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
    const created = str(info.CreationDate);
    return {
      sections,
      pages: doc.numPages,
      title: str(info.Title),
      author: str(info.Author),
      date: created ? isoDate(PDFDateString.toDateObject(created) ?? undefined) : undefined,
    };
  } catch (e) {
    throw asParseError(e, 'unreadable PDF');
  } finally {
    await task.destroy();
  }
}

export function startsWithPdfMagic(bytes: Uint8Array): boolean {
  // The header may follow a little junk; readers accept it within the first 1 KiB.
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  return head.includes('%PDF-');
}

export const parsePdf: FormatParser = async ({ bytes, name }) => {
  const { sections, pages, title, author, date } = await pdfPages(bytes);
  return {
    title: title ?? name,
    mediaType: 'application/pdf',
    format: 'pdf',
    date,
    meta: { kind: 'pdf', pages, author },
    sections,
  };
};
