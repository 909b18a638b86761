/** What a file's first bytes say it is, whatever its name claims. */
import type { Format } from '../schemas/document.js';
import { looksBinary } from './decode.js';
import { ParseError } from './errors.js';
import { startsWithPdfMagic } from './formats/pdf.js';

/** Images PRAG reads (by OCR). */
export type ImageKind = 'png' | 'jpeg' | 'tiff';
type Sniffed = ImageKind | 'pdf' | 'zip' | 'gif' | 'webp' | 'bmp' | 'binary' | 'text';

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0) =>
  bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);

/** The image kind by its signature: PNG (RFC 2083 §3.1), JPEG (SOI + a marker), TIFF (TIFF 6.0 §2, either byte order). */
export function imageKind(bytes: Uint8Array): ImageKind | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  return undefined;
}

function sniff(bytes: Uint8Array): Sniffed {
  const image = imageKind(bytes);
  if (image) return image;
  if (startsWithPdfMagic(bytes.subarray(0, 1024))) return 'pdf';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'gif';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  if (startsWith(bytes, [0x42, 0x4d])) return 'bmp';
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return 'text'; // UTF-16 BOM
  return looksBinary(bytes) ? 'binary' : 'text';
}

const DESCRIBED: Record<Sniffed, string> = {
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  tiff: 'a TIFF image',
  pdf: 'a PDF file',
  zip: 'a ZIP archive',
  gif: 'a GIF image',
  webp: 'a WebP image',
  bmp: 'a BMP image',
  binary: 'binary data',
  text: 'text',
};

/** What each format's bytes must be; formats not listed are text. PDF and DOCX parsers check their own magic. */
const EXPECTED: Partial<Record<Format, ReadonlySet<Sniffed> | 'own'>> = {
  pdf: 'own',
  docx: 'own',
  xlsx: new Set(['zip']),
  image: new Set(['png', 'jpeg', 'tiff']),
};
const TEXT: ReadonlySet<Sniffed> = new Set(['text']);

/** Refuses content that is plainly not what its name claims (a PNG named .txt, a PDF named .csv, text named .png). */
export function checkMatches(format: Format, bytes: Uint8Array): void {
  const expected = EXPECTED[format] ?? TEXT;
  if (expected === 'own') return;
  const kind = sniff(bytes);
  if (!expected.has(kind)) throw new ParseError('format_mismatch', `content is ${DESCRIBED[kind]}, not ${format}`);
}
