import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/index.js';

const prag = cliRunner();

const data = tempDir();
const inputs = tempDir();
afterAll(() => {
  data.cleanup();
  inputs.cleanup();
});

describe('prag CLI (embedded mode)', () => {
  it('index --json prints the summary, folders and mbox included, bad files as per-file errors (exit 1)', async () => {
    writeFileSync(join(inputs.path, 'broken.pdf'), 'not a pdf');
    writeFileSync(
      join(inputs.path, 'note.md'),
      '# Boiler\nThe boiler service is due in October; call Heatwise on 555-0100.',
    );
    const { stdout, code } = await prag(
      'index',
      '--data-dir',
      data.path,
      '--collection',
      'home',
      '--json',
      inputs.path,
      fixture('email', 'node-mbox_test-4-message.mbox'),
      fixture('finance', 'ofx-js_credit-card.qfx'),
    ).then(
      (o) => ({ ...o, code: 0 }),
      (e: { stdout: string; code: number }) => e,
    );
    expect(code).toBe(1); // a file failed
    const summary = JSON.parse(stdout);
    expect(Object.keys(summary).sort()).toEqual(['chunks', 'documents', 'excluded', 'failed', 'seconds', 'skipped']);
    expect(summary).toMatchObject({ documents: 6, skipped: 0 });
    expect(summary.chunks).toBeGreaterThanOrEqual(6);
    expect(summary.failed).toEqual([
      { path: join(inputs.path, 'broken.pdf'), error: 'format_mismatch: file does not start with %PDF-' },
    ]);
    expect(summary.seconds).toBeGreaterThan(0);
  });

  it('query --json prints ranked hits with the agreed fields', async () => {
    const { stdout } = await prag(
      'query',
      '--data-dir',
      data.path,
      '--k',
      '3',
      '--json',
      'when is the heating maintenance',
    );
    const hits = JSON.parse(stdout);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(3);
    for (const h of hits)
      expect(Object.keys(h).sort()).toEqual(['chunk_id', 'doc_id', 'ocr', 'page', 'score', 'source', 'text', 'title']);
    expect(hits[0]).toMatchObject({ title: 'Boiler', page: null });
    expect(hits[0].text).toContain('Heatwise');
  });

  it('query prints readable hits, and filters by collection', async () => {
    const { stdout } = await prag('query', '--data-dir', data.path, '--k', '2', '--collection', 'home', 'mail content');
    expect(stdout).toMatch(/^1\. mail \d/m);
    const none = await prag('query', '--data-dir', data.path, '--collection', 'elsewhere', 'mail content');
    expect(none.stdout).toBe('No matches.\n');
  });

  it('bad arguments fail with a message and exit 2 (usage)', async () => {
    await expect(prag('query', 'no data dir')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("required option '--data-dir <dir>' not specified"),
    });
    await expect(prag('query', '--data-dir', data.path, '--from', 'not-an-address', 'x')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('filters.from: not an email address'),
    });
    await expect(prag('index', '--data-dir', data.path, '/no/such/path')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('/no/such/path does not exist'),
    });
  });
});
