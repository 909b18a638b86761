/**
 * Office files (.docx, .xlsx) are ZIP archives, and the libraries that read them inflate every part into
 * buffers, outside the parse worker's heap limit: a small archive can inflate to gigabytes. Before a library
 * sees one, each entry is inflated here with zlib's output cap and counted; an archive whose parts hold more
 * than MAX_INFLATED bytes in all is `too_large`. Structure per APPNOTE.TXT 6.3 (§4.3.7 local header, §4.3.12
 * central directory header, §4.3.16 end of central directory); ZIP64 archives are refused.
 */
import { inflateRawSync } from 'node:zlib';
import { ParseError } from './errors.js';

/** What the parts of one Office file may inflate to, in all. */
export const MAX_INFLATED = 512 * 1024 * 1024;

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The end-of-central-directory record is within this many bytes of the end (its comment is at most 65,535). */
const EOCD_SEARCH = 22 + 0xffff;

const corrupt = (what: string) => new ParseError('corrupt', `unreadable ZIP archive: ${what}`);

/** Checks what an archive's parts inflate to; throws `too_large` past MAX_INFLATED, `corrupt` when unreadable. */
export function checkZipInflation(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => (at + 2 <= bytes.length ? view.getUint16(at, true) : -1);
  const u32 = (at: number) => (at + 4 <= bytes.length ? view.getUint32(at, true) : -1);
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - EOCD_SEARCH); at--)
    if (u32(at) === EOCD) {
      eocd = at;
      break;
    }
  if (eocd < 0) throw corrupt('no end of central directory');
  const entries = u16(eocd + 10);
  let at = u32(eocd + 16);
  if (entries === 0xffff || at === 0xffffffff) throw new ParseError('too_large', 'ZIP64 archives are not read');
  let left = MAX_INFLATED;
  for (let i = 0; i < entries; i++) {
    if (u32(at) !== CENTRAL) throw corrupt('bad central directory');
    const method = u16(at + 10);
    const compressed = u32(at + 20);
    const declared = u32(at + 24);
    const local = u32(at + 42);
    if (compressed === 0xffffffff || declared === 0xffffffff || local === 0xffffffff)
      throw new ParseError('too_large', 'ZIP64 archives are not read');
    at += 46 + u16(at + 28) + u16(at + 30) + u16(at + 32);
    if (u32(local) !== LOCAL) throw corrupt('bad local header');
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + compressed > bytes.length) throw corrupt('an entry runs past the end');
    if (declared > left) throw tooLarge();
    if (method === 0) left -= compressed;
    else if (method === 8) {
      try {
        left -= inflateRawSync(bytes.subarray(start, start + compressed), {
          maxOutputLength: Math.max(1, left),
        }).length;
      } catch (e) {
        if (e instanceof RangeError) throw tooLarge();
        throw corrupt('an entry does not inflate');
      }
    } else throw corrupt(`compression method ${method}`);
  }
}

const tooLarge = () =>
  new ParseError('too_large', `the archive's parts inflate to more than ${MAX_INFLATED / 1024 / 1024} MB`);
