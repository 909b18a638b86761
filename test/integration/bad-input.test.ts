import { afterEach, describe, expect, it } from 'vitest';
import { bytesSource, parseAll, openTestEngine, tempDir } from '../helpers/index.js';
import { makeDocx, makePdf } from '../helpers/make-docs.js';
import { must } from '../helpers/must.js';

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d0f0a50000000049454e44ae426082',
  'hex',
);

async function outcome(name: string, bytes: Uint8Array | string) {
  const out = await parseAll(bytesSource(name, bytes));
  expect(out).toHaveLength(1);
  return must(out[0], `an outcome for ${name}`);
}

describe('corrupt, truncated, empty, huge-line and wrong-extension files', () => {
  it('empty and blank files', async () => {
    expect(await outcome('empty.txt', '')).toMatchObject({ ok: false, code: 'empty', source: 'empty.txt' });
    expect(await outcome('blank.md', '   \n\n  ')).toMatchObject({ ok: false, code: 'no_text' });
  });

  it('truncated and corrupt PDFs', async () => {
    const pdf = await makePdf([['Some text']]);
    const truncated = await outcome('cut.pdf', pdf.subarray(0, Math.floor(pdf.length / 3)));
    expect(truncated.ok).toBe(false);
    expect(['corrupt', 'no_text']).toContain((truncated as { code: string }).code);
    expect(await outcome('junk.pdf', '%PDF-1.7\n this is not a pdf body')).toMatchObject({
      ok: false,
      code: 'corrupt',
    });
  });

  it('corrupt DOCX, invalid JSON and XML, OFX without a statement', async () => {
    const docx = await makeDocx([{ text: 'hello' }]);
    expect(await outcome('cut.docx', docx.subarray(0, 200))).toMatchObject({ ok: false, code: 'corrupt' });
    expect(await outcome('rec.json', '{"resourceType": "Bundle", "entry": [')).toMatchObject({
      ok: false,
      code: 'corrupt',
    });
    expect(await outcome('cda.xml', '<ClinicalDocument><title>x</ClinicalDocument>')).toMatchObject({
      ok: false,
      code: 'corrupt',
    });
    expect(await outcome('bank.ofx', 'OFXHEADER:100\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>')).toMatchObject({
      ok: false,
      code: 'no_text',
    });
  });

  it('content that does not match its extension', async () => {
    expect(await outcome('photo.txt', PNG)).toMatchObject({
      ok: false,
      code: 'format_mismatch',
      message: 'content is a PNG image, not txt',
    });
    expect(await outcome('report.csv', await makePdf([['x']]))).toMatchObject({
      ok: false,
      code: 'format_mismatch',
      message: 'content is a PDF file, not csv',
    });
    expect(await outcome('letter.pdf', 'Dear Sir, this is plain text.')).toMatchObject({
      ok: false,
      code: 'format_mismatch',
    });
    expect(await outcome('memo.docx', 'plain text again')).toMatchObject({ ok: false, code: 'format_mismatch' });
    expect(await outcome('mail.eml', 'no headers at all, just words')).toMatchObject({
      ok: false,
      code: 'format_mismatch',
    });
    expect(await outcome('archive.mbox', 'not an mbox\nat all')).toMatchObject({ ok: false, code: 'format_mismatch' });
  });

  it('unsupported kinds of file and files over the size limit', async () => {
    expect(await outcome('image.gif', Buffer.from('GIF89a'))).toMatchObject({
      ok: false,
      code: 'unsupported_format',
      message: 'no parser for .gif',
    });
    const { parseSource } = await import('../../ingest/index.js');
    const out = [];
    for await (const o of parseSource(bytesSource('big.txt', 'x'.repeat(2000)), { maxFileBytes: 1000 })) out.push(o);
    expect(out).toEqual([
      { ok: false, source: 'big.txt', code: 'too_large', message: 'file is 2000 bytes (limit 1000)' },
    ]);
  });

  it('a huge single-line file parses', async () => {
    const line = Array.from({ length: 200_000 }, (_, i) => `token${i % 997}`).join(' ');
    const o = await outcome('one-line.txt', line);
    expect(o.ok && must(o.doc.sections[0], 'a section').text.length).toBe(line.length);
  });
});

describe('a batch with bad files', () => {
  const dirs: Array<{ cleanup(): void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  it('reports each bad file and indexes the good ones', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const engine = await openTestEngine(dir.path);
    try {
      const report = await engine.ingest(
        [
          bytesSource('good-1.txt', 'The roof was repaired in March by a contractor.'),
          bytesSource('empty.txt', ''),
          bytesSource('photo.txt', PNG),
          bytesSource('broken.json', '{"resourceType":'),
          bytesSource('good-2.md', '# Garden\nTomatoes and basil were planted in May.'),
        ],
        { owner: 'alice' },
      );
      expect(report.documents).toBe(2);
      expect(report.failed.map((f) => f.path)).toEqual(['empty.txt', 'photo.txt', 'broken.json']);
      expect(report.failed.map((f) => f.error.split(':')[0])).toEqual(['empty', 'format_mismatch', 'corrupt']);
      expect(
        engine
          .listDocuments('alice')
          .map((d) => d.source)
          .sort(),
      ).toEqual(['good-1.txt', 'good-2.md']);
    } finally {
      await engine.close();
    }
  });
});
