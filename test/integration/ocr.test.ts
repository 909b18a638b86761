/**
 * Scans and photos: image-only PDF pages and PNG, JPEG and TIFF images are read by OCR (tesseract.js, English
 * model from npm) inside the parse sandbox, offline; their passages are flagged `ocr` in hits and citations.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { ChatFrame } from '../../schemas/chat.js';
import { ROUTES } from '../../schemas/routes.js';
import { tempDir } from '../helpers/index.js';
import { makePdf } from '../helpers/make-docs.js';
import { must } from '../helpers/must.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startTestService, testUser, type TestService, type TestUser } from '../helpers/service.js';
import { blankImage, renderText, scannedPdf, toJpeg, toPng, toTiff } from '../helpers/text-image.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

const PRESCRIPTION = renderText(['PATIENT: JANE DOE', 'ALLERGY: PENICILLIN', 'WARFARIN 5 MG DAILY']);
const LETTER = renderText(['KIDNEY FUNCTION NORMAL', 'REVIEW IN SIX MONTHS']);
const RECEIPT = renderText(['PHARMACY RECEIPT', 'AMOXICILLIN 500 MG']);
const KIDNEY = renderText(['KIDNEY STONE CHECK', 'FUNCTION REVIEW DONE']);

const file = (name: string, bytes: Uint8Array) => ({ name, size: bytes.length, bytes });

describe('OCR of scans and photos', () => {
  const dir = tempDir();
  let fake: FakeLlm;
  let svc: TestService;
  let alice: TestUser;
  const search = async (query: string) => (await alice.client.call(ROUTES.search, alice.permit, { query, k: 10 })).hits;

  beforeAll(async () => {
    fake = await startFakeLlm({ tokens: ['See ', '[1] ', 'and ', '[2].'] });
    svc = await startTestService(dir.path, {}, { PRAG_LLM: 'openai', PRAG_LLM_URL: fake.url, PRAG_LLM_MODEL: 'fake' });
    alice = await testUser(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await fake?.close();
    dir.cleanup();
  });

  test('an image-only PDF page is read by OCR; its hits and citations say so, a text PDF’s do not', async () => {
    const scan = await scannedPdf([blankImage(), PRESCRIPTION]);
    const done = await alice.client.upload(alice.permit, file('prescription-scan.pdf', scan));
    expect(done.failed).toEqual([]);
    const typed = await alice.client.upload(
      alice.permit,
      file('typed.pdf', await makePdf([['Discharge note: the patient is allergic to latex gloves.']])),
    );
    expect(typed.failed).toEqual([]);

    const hits = await search('penicillin allergy');
    const scanned = must(
      hits.find((h) => h.title === 'prescription-scan.pdf'),
      'a hit in the scan',
    );
    expect(scanned).toMatchObject({ page: 2, ocr: true });
    expect(scanned.text).toContain('PENICILLIN');
    const text = must(
      hits.find((h) => h.title === 'typed.pdf'),
      'a hit in the typed PDF',
    );
    expect(text.ocr).toBeUndefined();

    const { frames } = await alice.client.chat(alice.permit, {
      messages: [{ role: 'user', content: 'Which allergy is on the prescription scan?' }],
    });
    const all: ChatFrame[] = [];
    for await (const f of frames) all.push(f);
    const final = all.at(-1);
    if (final?.type !== 'final') throw new Error(`no final frame: ${JSON.stringify(final)}`);
    expect(final.citations.map((c) => [c.title, c.ocr]).sort()).toEqual([
      ['prescription-scan.pdf', true],
      ['typed.pdf', undefined],
    ]);
  });

  test('PNG, JPEG and TIFF are told by their bytes, not their names', async () => {
    const jpeg = await toJpeg(LETTER);
    const uploads = [
      file('letter.jpg', jpeg),
      file('receipt.tiff', toTiff(RECEIPT)),
      file('photo-from-phone.png', await toJpeg(KIDNEY)), // a JPEG named .png is still a JPEG
      file('prescription.PNG', toPng(PRESCRIPTION)),
    ];
    for (const u of uploads)
      expect(await alice.client.upload(alice.permit, u)).toMatchObject({ failed: [], skipped: 0 });
    const kidney = await search('kidney function review');
    expect(
      kidney
        .filter((h) => h.ocr && /KIDNEY/.test(h.text))
        .map((h) => h.title)
        .sort(),
    ).toEqual(['letter.jpg', 'photo-from-phone.png']);
    const [receipt] = await search('amoxicillin pharmacy receipt');
    expect(receipt).toMatchObject({ title: 'receipt.tiff', ocr: true });
  });

  test('what OCR cannot read gets a precise error and a hint, never stored text', async () => {
    const blank = await alice.client.upload(alice.permit, file('blank-scan.pdf', await scannedPdf([blankImage()])));
    expect(blank.doc_ids).toEqual([]);
    expect(blank.failed).toEqual([
      {
        source: 'blank-scan.pdf',
        error:
          'ocr_no_text: the PDF is scanned images and OCR found no text in them (blank, handwritten, too low a resolution or not English)',
      },
    ]);
    const photo = await alice.client.upload(alice.permit, file('empty-photo.png', toPng(blankImage())));
    expect(photo.failed[0]?.error).toMatch(/^ocr_no_text: /);
    const textAsImage = await alice.client.upload(
      alice.permit,
      file('scan.tiff', new TextEncoder().encode('not an image at all')),
    );
    expect(textAsImage.failed[0]?.error).toBe('format_mismatch: content is text, not image');
  });
});

test('OCR needs no network and writes no cache: run in a process where every connection throws', async () => {
  const work = tempDir();
  onTestFinished(() => work.cleanup());
  const inputs = join(work.path, 'in');
  const cwd = join(work.path, 'cwd');
  mkdirSync(inputs);
  mkdirSync(cwd);
  writeFileSync(join(inputs, 'scan.pdf'), await scannedPdf([PRESCRIPTION]));
  writeFileSync(join(inputs, 'letter.png'), toPng(LETTER));
  const { stdout, stderr } = await run(
    process.execPath,
    [
      '--require',
      join(ROOT, 'test/helpers/no-network.cjs'),
      '--import',
      pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, // tsx, found from a working directory outside the project
      join(ROOT, 'test/helpers/ocr-child.ts'),
      join(inputs, 'scan.pdf'),
      join(inputs, 'letter.png'),
    ],
    { cwd, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  expect(stderr).not.toContain('network attempt');
  const outcomes = JSON.parse(stdout) as Array<{
    ok: boolean;
    doc?: { sections: Array<{ text: string; ocr?: boolean }> };
  }>;
  expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
  expect(outcomes[0]?.doc?.sections[0]).toMatchObject({ ocr: true, text: expect.stringContaining('PENICILLIN') });
  expect(outcomes[1]?.doc?.sections[0]?.text).toContain('KIDNEY');
  expect(readdirSync(cwd)).toEqual([]); // tesseract.js caches its model in the working directory unless told not to

  // The control: the same preload stops a download, in a worker thread too.
  const fetchInWorker = `new (require('node:worker_threads').Worker)("fetch('https://cdn.jsdelivr.net/npm/@tesseract.js-data/eng')", { eval: true })`;
  const refused = await run(
    process.execPath,
    ['--require', join(ROOT, 'test/helpers/no-network.cjs'), '-e', fetchInWorker],
    {
      cwd,
    },
  ).catch((e: { stderr: string }) => e);
  expect(refused.stderr).toContain('network attempt: fetch');
});
