import type { Section } from '../../schemas/document.js';
import { isoDate, tidyText } from '../decode.js';
import { asParseError, ParseError } from '../errors.js';
import { recognise } from '../ocr.js';
import type { FormatParser } from '../types.js';
import { MAX_OCR_PIXELS } from './image.js';
import { pageImages } from './pdf-images.js';

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
): Promise<{ sections: Section[]; pages: number; ocrPages: number; title?: string; author?: string; date?: string }> {
  if (!startsWithPdfMagic(bytes)) throw new ParseError('format_mismatch', 'file does not start with %PDF-');
  // pdf.js is large: loaded on the first PDF, not by every process that imports the parsers.
  const { getDocument, OPS, PDFDateString, VerbosityLevel } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({
    data: new Uint8Array(bytes), // pdf.js detaches the buffer it is given
    isEvalSupported: false,
    // Images are decoded to raw pixels for OCR (no canvas, no ImageDecoder); larger ones are not decoded at all.
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    maxImageSize: MAX_OCR_PIXELS,
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
    let scanned = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const text = pageText(content.items as TextItemLike[]);
      if (text) sections.push({ page: n, text });
      else {
        // No text layer: a scanned page, read by OCR from the images it paints.
        const images = await pageImages(page, OPS);
        if (images.length) scanned++;
        const read: string[] = [];
        for (const image of images) read.push(tidyText((await recognise(image)).text));
        const recognised = tidyText(read.join('\n\n'));
        if (/[\p{L}\p{N}]/u.test(recognised)) sections.push({ page: n, text: recognised, ocr: true });
      }
      page.cleanup();
    }
    if (!sections.length && scanned > 0)
      throw new ParseError(
        'ocr_no_text',
        'the PDF is scanned images and OCR found no text in them (blank, handwritten, too low a resolution or not English)',
      );
    if (!sections.length)
      throw new ParseError(
        'no_text',
        'the PDF has no text layer and no image OCR can read (JPEG 2000 images and vector-drawn text are not read)',
      );
    const { info } = (await doc.getMetadata().catch(() => ({ info: {} }))) as { info: Record<string, unknown> };
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
    const created = str(info.CreationDate);
    return {
      sections,
      pages: doc.numPages,
      ocrPages: sections.filter((s) => s.ocr).length,
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
  const { sections, pages, ocrPages, title, author, date } = await pdfPages(bytes);
  return {
    title: title ?? name,
    mediaType: 'application/pdf',
    format: 'pdf',
    date,
    meta: { kind: 'pdf', pages, author, ...(ocrPages ? { ocrPages } : {}) },
    sections,
  };
};
