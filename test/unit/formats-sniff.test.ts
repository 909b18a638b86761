/** Content sniffing and labels: what a file's bytes say wins over its name, and every title is one bounded line. */
import { describe, expect, test } from 'vitest';
import { bytesSource, parseAll, parseOk } from '../helpers/index.js';
import { must } from '../helpers/must.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);

async function outcome(name: string, bytes: Uint8Array | string) {
  const [only, ...rest] = await parseAll(bytesSource(name, bytes));
  expect(rest).toEqual([]);
  return must(only, `an outcome for ${name}`);
}

describe('content sniffing', () => {
  test('an 8-byte PNG signature named .txt is refused as a PNG, not stored as text', async () => {
    expect(await outcome('notes.txt', PNG_SIGNATURE)).toEqual({
      ok: false,
      source: 'notes.txt',
      code: 'format_mismatch',
      message: 'content is a PNG image, not txt',
    });
  });

  test('images and other binary data are named for what they are, whatever the extension', async () => {
    expect(await outcome('export.csv', JPEG_HEAD)).toMatchObject({ message: 'content is a JPEG image, not csv' });
    expect(await outcome('page.md', Buffer.from('II*\0 tiff body'))).toMatchObject({
      message: 'content is a TIFF image, not md',
    });
    expect(await outcome('diary.txt', Buffer.from('GIF89a\x01\x00'))).toMatchObject({
      message: 'content is a GIF image, not txt',
    });
    // No NUL byte, but mostly control characters: binary, not Windows-1252 text.
    expect(
      await outcome('log.txt', Buffer.from([0x01, 0x02, 0x03, 0x7f, 0x41, 0x0e, 0x0f, 0x10, 0x11, 0x12])),
    ).toMatchObject({ code: 'format_mismatch', message: 'content is binary data, not txt' });
    expect(await outcome('scan.png', 'just words, no pixels')).toMatchObject({
      code: 'format_mismatch',
      message: 'content is text, not image',
    });
    expect(await outcome('sheet.xlsx', 'name,amount\nrent,1450\n')).toMatchObject({
      code: 'format_mismatch',
      message: 'content is text, not xlsx',
    });
  });

  test('text with tabs, form feeds and escapes is still text', async () => {
    const [doc] = await parseOk(bytesSource('report.txt', 'Name\tValue\fpage two \x1b[1mbold\x1b[0m\n'));
    expect(doc?.sections[0]?.text).toContain('page two');
  });

  test('an image whose header declares more pixels than OCR reads is refused before decoding', async () => {
    const png = Buffer.concat([PNG_SIGNATURE, Buffer.from('0000000d49484452000186a0000186a008000000', 'hex')]);
    expect(await outcome('huge.png', png)).toMatchObject({
      code: 'too_large',
      message: 'image is 100000×100000 pixels (limit 100 megapixels)',
    });
  });
});

describe('titles and headings are one line', () => {
  test('HTML without <title> takes its first heading, on one line', async () => {
    const html =
      '<html><body><h1>Discharge\n   summary\r\n for\tJane</h1><p>First line.</p><p>Second line.</p></body></html>';
    const [doc] = await parseOk(bytesSource('note.html', html));
    expect(doc?.title).toBe('Discharge summary for Jane');
  });

  test('HTML with neither title nor heading is named after its file, not its body', async () => {
    const [doc] = await parseOk(bytesSource('plain.html', '<p>One paragraph.</p>\n<p>Another paragraph.</p>'));
    expect(doc?.title).toBe('plain.html');
  });

  test('a multi-line <title> is joined, and a huge one is cut to 500 characters', async () => {
    const [joined] = await parseOk(bytesSource('a.html', '<title>Lab\nresults\n\n2024</title><p>Body.</p>'));
    expect(joined?.title).toBe('Lab results 2024');
    const [long] = await parseOk(bytesSource('b.md', `# ${'word '.repeat(400)}\n\nbody`));
    expect(long?.title.length).toBeLessThanOrEqual(500);
    expect(long?.title).not.toMatch(/\s$|\n/);
  });
});
