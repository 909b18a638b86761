import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { ParseError } from './errors.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** C0 controls that text does not hold (tab, line feed, vertical tab, form feed, carriage return and escape do). */
const isStrayControl = (b: number) => (b < 0x20 && !(b >= 0x09 && b <= 0x0d) && b !== 0x1b) || b === 0x7f;

/**
 * True when the sample looks like binary data rather than text: a NUL byte (never in text), or more than one
 * byte in ten a control character that text does not use.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  let controls = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0) return true;
    if (isStrayControl(b)) controls++;
  }
  return controls * 10 > n;
}

/**
 * Decodes text bytes: UTF-8 (BOM stripped) when valid, UTF-16 by BOM, otherwise
 * the declared charset, otherwise Windows-1252 (the usual culprit for invalid UTF-8).
 */
export function decodeText(bytes: Uint8Array, declaredCharset?: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16be');
  if (looksBinary(bytes)) throw new ParseError('binary_content', 'file holds binary data, not text');
  try {
    return utf8.decode(bytes);
  } catch {
    const cs = declaredCharset && iconv.encodingExists(declaredCharset) ? declaredCharset : 'windows-1252';
    return iconv.decode(Buffer.from(bytes), cs);
  }
}

/**
 * Collapses runs of blank space inside lines and trims the ends; keeps paragraph breaks. Every pattern is
 * linear: once runs are collapsed, a line end has at most one space on either side, so ` ?\n ?` is enough
 * (` *\n *` would rescan a long run of spaces from each of its positions, were one left).
 */
export function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Parses a date string into ISO 8601 (UTC), or undefined when it is not a date. */
export function isoDate(value: string | number | Date | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (!Number.isFinite(d.getTime())) return undefined;
  // Beyond years 0–9999 toISOString writes ±YYYYYY, which no ISO 8601 reader here (nor ParsedDocument) takes.
  const iso = d.toISOString();
  return /^\d{4}-/.test(iso) ? iso : undefined;
}
