/** Photos and scans (PNG, JPEG, TIFF): their text, recognised by OCR. */
import { tidyText } from '../decode.js';
import { ParseError, asParseError } from '../errors.js';
import { recognise } from '../ocr.js';
import { imageKind, type ImageKind } from '../sniff.js';
import type { FormatParser } from '../types.js';

/** Largest image recognised: 100 megapixels (an A4 page at 1,200 dpi is 140; at 600 dpi, 35). */
export const MAX_OCR_PIXELS = 100_000_000;

const MEDIA_TYPES: Record<ImageKind, string> = { png: 'image/png', jpeg: 'image/jpeg', tiff: 'image/tiff' };

const u16 = (b: Uint8Array, at: number, le: boolean) =>
  le ? (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) : ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u32 = (b: Uint8Array, at: number, le: boolean) =>
  le ? u16(b, at, true) + u16(b, at + 2, true) * 65536 : u16(b, at, false) * 65536 + u16(b, at + 2, false);

/** A JPEG's frame size: the first SOFn segment (ITU T.81 §B.2.2), found by walking segment lengths. */
function jpegSize(b: Uint8Array): [number, number] | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1] ?? 0;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return [u16(b, at + 7, false), u16(b, at + 5, false)];
    at += 2 + u16(b, at + 2, false);
  }
  return undefined;
}

/** A TIFF's first image size: ImageWidth (256) and ImageLength (257) in IFD 0 (TIFF 6.0 §2). */
function tiffSize(b: Uint8Array): [number, number] | undefined {
  const le = b[0] === 0x49;
  const ifd = u32(b, 4, le);
  const count = u16(b, ifd, le);
  let width: number | undefined;
  let height: number | undefined;
  for (let i = 0; i < count && ifd + 2 + i * 12 + 12 <= b.length; i++) {
    const at = ifd + 2 + i * 12;
    const tag = u16(b, at, le);
    const value = u16(b, at + 2, le) === 3 ? u16(b, at + 8, le) : u32(b, at + 8, le);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return width !== undefined && height !== undefined ? [width, height] : undefined;
}

/** Width and height from the image's header, read before any pixel is decoded. */
function imageSize(b: Uint8Array, kind: ImageKind): [number, number] | undefined {
  if (kind === 'png') return b.length >= 24 ? [u32(b, 16, false), u32(b, 20, false)] : undefined; // IHDR
  return kind === 'jpeg' ? jpegSize(b) : tiffSize(b);
}

/** Refuses an image whose decoded pixels would exceed MAX_OCR_PIXELS (a small file can declare a huge one). */
export function checkPixels(width: number, height: number): void {
  if (width * height > MAX_OCR_PIXELS)
    throw new ParseError('too_large', `image is ${width}×${height} pixels (limit ${MAX_OCR_PIXELS / 1e6} megapixels)`);
}

export const parseImage: FormatParser = async ({ bytes, name }) => {
  const kind = imageKind(bytes);
  if (!kind) throw new ParseError('format_mismatch', 'content is not a PNG, JPEG or TIFF image');
  const size = imageSize(bytes, kind);
  if (!size || size[0] === 0 || size[1] === 0)
    throw new ParseError('corrupt', `unreadable ${kind.toUpperCase()} header`);
  checkPixels(...size);
  const { text, confidence } = await recognise(bytes).catch((e: unknown) => {
    throw asParseError(e, `unreadable ${kind.toUpperCase()} image`);
  });
  const clean = tidyText(text);
  if (!/[\p{L}\p{N}]/u.test(clean))
    throw new ParseError(
      'ocr_no_text',
      'OCR found no text in the image (blank, handwritten, too small or not English)',
    );
  return {
    title: name,
    mediaType: MEDIA_TYPES[kind],
    format: 'image',
    meta: { kind: 'image', width: size[0], height: size[1], confidence: Math.round(confidence) },
    sections: [{ text: clean, ocr: true }],
  };
};
