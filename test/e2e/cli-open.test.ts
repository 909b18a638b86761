/**
 * `prag open`: a cited passage printed in context, a page, the whole text,
 * the original saved (never over an existing file), and the errors a user
 * can cause, through the CLI as a child process against a real service.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliWithInput } from '../helpers/cli.js';
import { tempDir } from '../helpers/index.js';
import { makePdf } from '../helpers/make-docs.js';
import { startTestService, type TestService } from '../helpers/service.js';

const data = tempDir();
const work = tempDir();
let svc: TestService;
let common: string[];
let docId: string;
let chunkId: string;
let pdf: Uint8Array;

const prag = (...args: string[]) => runCliWithInput('', args, { env: { PRAG_CACHE_DIR: work.path } });

beforeAll(async () => {
  svc = await startTestService(data.path);
  const id = join(work.path, 'me.json');
  expect((await prag('keygen', '--out', id)).code).toBe(0);
  common = ['--url', svc.url, '--identity', id, '--allow-insecure-dev'];
  pdf = await makePdf(
    [
      ['Renal panel, March 2026.', 'Creatinine 1.1 mg/dL, within range.'],
      ['Potassium 5.9 mmol/L: high.', 'Repeat the potassium test within one week.'],
    ],
    'Renal panel',
  );
  writeFileSync(join(work.path, 'labs.pdf'), pdf);
  const up = await prag('upload', ...common, '--json', join(work.path, 'labs.pdf'));
  expect(up.code).toBe(0);
  const search = await prag('search', ...common, '--json', 'potassium high');
  const hits = JSON.parse(search.stdout) as Array<{ doc_id: string; chunk_id: string; page: number | null }>;
  const hit = hits.find((h) => h.page === 2);
  if (!hit) throw new Error(`no page-2 hit in ${search.stdout}`);
  ({ doc_id: docId, chunk_id: chunkId } = hit);
});
afterAll(async () => {
  await svc.close();
  data.cleanup();
  work.cleanup();
});

describe('prag open', () => {
  it('prints a cited chunk marked in its section, with the page', async () => {
    const { stdout, code } = await prag('open', ...common, docId, '--chunk', chunkId);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Renal panel\npdf · .*2 pages/);
    expect(stdout).toContain('── page 2');
    expect(stdout).toMatch(/>>> [^]*Potassium 5\.9 mmol\/L[^]* <<</);
  });

  it('an answer prints, for each source, the command that opens it', async () => {
    const ask = await prag('ask', ...common, 'Which potassium value was high?');
    expect(ask.code).toBe(0);
    const command = /prag open ([0-9a-f]{64}) --chunk ([0-9a-f]{32})/.exec(ask.stdout);
    if (!command) throw new Error(`no open command in ${ask.stdout}`);
    const opened = await prag('open', ...common, command[1] ?? '', '--chunk', command[2] ?? '');
    expect(opened.code).toBe(0);
    expect(opened.stdout).toMatch(/>>> [^]* <<</);
  });

  it('prints one page, or the whole text with page labels', async () => {
    const page1 = await prag('open', ...common, docId, '--page', '1');
    expect(page1.stdout).toContain('Creatinine');
    expect(page1.stdout).not.toContain('Potassium');
    const whole = await prag('open', ...common, docId);
    expect(whole.stdout).toMatch(/── page 1[^]*Creatinine[^]*── page 2[^]*Potassium/);
  });

  it('saves the original byte for byte, and never over an existing file without --force', async () => {
    const out = join(work.path, 'copy.pdf');
    expect((await prag('open', ...common, docId, '--out', out)).code).toBe(0);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(pdf))).toBe(true);
    const again = await prag('open', ...common, docId, '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/copy\.pdf exists; pass --force/);
    expect((await prag('open', ...common, docId, '--out', out, '--force')).code).toBe(0);
  });

  it('answers the errors a user can cause in one line each', async () => {
    const missingPage = await prag('open', ...common, docId, '--page', '7');
    expect(missingPage.code).toBe(2);
    expect(missingPage.stderr).toMatch(/has no page 7 \(it has 2\)/);
    const badId = await prag('open', ...common, 'abc');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/document ids are 64 lower-case hex characters/);
    const unknown = await prag('open', ...common, 'e'.repeat(64));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n').at(-1)).toMatch(/no such document among yours/);
  });

  it("prints no terminal control sequence a document holds (a sharer's text could set the title or clipboard)", async () => {
    const file = join(work.path, 'escapes.txt');
    writeFileSync(file, 'Gutter repair quote.\n\x1b]0;owned\x07\x1b]52;c;cHduZWQ=\x07 Total 420 euros.\n');
    const up = await prag('upload', ...common, '--json', file);
    expect(up.code).toBe(0);
    const search = await prag('search', ...common, 'gutter repair quote');
    const id = (
      JSON.parse((await prag('search', ...common, '--json', 'gutter repair quote')).stdout) as { doc_id: string }[]
    )[0]?.doc_id;
    const opened = await prag('open', ...common, id ?? '');
    for (const { stdout } of [search, opened]) {
      expect(stdout).toContain('Total 420 euros');
      expect(stdout).not.toContain('\x1b');
      expect(stdout).not.toContain('\x07');
      expect(stdout).toContain('\ufffd]0;owned\ufffd');
    }
  });
});
