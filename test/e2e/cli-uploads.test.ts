/**
 * `prag upload`, `prag uploads` and `prag index` as a user runs them (no terminal: JSON lines): what a folder
 * walk skips and why, `.pragignore`, progress from the service before each result, "already stored", the
 * exit codes both ingest commands share, and Ctrl-C, which detaches and says how to follow or cancel.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const data = tempDir();
const work = tempDir();
const local = tempDir();
const prag = cliRunner(() => ({ env: { PRAG_CACHE_DIR: work.path } }));
let svc: TestService;
let as: string[];
beforeAll(async () => {
  svc = await startTestService(data.path, { shutdownGraceMs: 0 });
  const id = join(work.path, 'me.json');
  await prag('keygen', '--out', id);
  as = ['--url', svc.url, '--identity', id, '--allow-insecure-dev'];
});
afterAll(async () => {
  await svc.close();
  data.cleanup();
  work.cleanup();
  local.cleanup();
});

type Event = Record<string, unknown> & { event: string };
const events = (stdout: string): Event[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event);

/** `prag ...args` whatever its exit: its code and output. */
const run = (...args: string[]) =>
  prag(...args).then(
    (o) => ({ code: 0, ...o }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

const mbox = (n: number, topic: string, repeat: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nTo: b@example.org\nSubject: ${topic} ${i}\n\n` +
      `${`Visit ${i} about the ${topic}: the readings were noted and the next check was booked. `.repeat(repeat)}\n\n`,
  ).join('');

/** A folder with what a walk takes, skips and ignores. */
function makeFolder(): string {
  const dir = join(work.path, 'records');
  mkdirSync(join(dir, 'drafts'), { recursive: true });
  mkdirSync(join(dir, '.git'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'plan.md'), '# Care plan\nPhysiotherapy twice a week for the left knee until March.');
  writeFileSync(join(dir, 'visits.mbox'), mbox(12, 'knee', 12));
  writeFileSync(join(dir, 'PROVENANCE.md'), '# Where these files came from');
  writeFileSync(join(dir, 'README.md'), '# What this folder is'); // left out by default
  writeFileSync(join(dir, 'LICENSE.txt'), 'The clinic may share these notes with the patient.'); // taken back below
  writeFileSync(join(dir, '.secret.txt'), 'hidden');
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main');
  writeFileSync(join(dir, 'photo.heic'), 'not read');
  writeFileSync(join(dir, 'drafts', 'letter.txt'), 'an unfinished letter');
  writeFileSync(join(dir, 'logs', 'debug.log'), 'noise');
  writeFileSync(join(dir, 'logs', 'keep.log'), 'The pharmacy called: the prescription is ready.');
  writeFileSync(join(dir, '.pragignore'), 'drafts/\nPROVENANCE.md\n*.log\n!LICENSE.txt\n');
  writeFileSync(join(dir, 'logs', '.pragignore'), '!keep.log\n'); // a deeper file may take a rule back
  return dir;
}

describe('prag upload and prag uploads', () => {
  it('reports what the walk skips, follows each file through the service, then exits 0', async () => {
    const dir = makeFolder();
    const { code, stdout } = await run('upload', ...as, '--collection', 'health', dir);
    expect(code).toBe(0);
    const lines = events(stdout);
    const skipped = lines.filter((e) => e.event === 'skipped').map((e) => [e.path, e.reason]);
    expect(skipped.sort()).toEqual(
      [
        [join(dir, '.git'), 'hidden'],
        [join(dir, '.secret.txt'), 'hidden'],
        [join(dir, 'PROVENANCE.md'), 'ignored'],
        [join(dir, 'README.md'), 'ignored'],
        [join(dir, 'drafts'), 'ignored'],
        [join(dir, 'logs', 'debug.log'), 'ignored'],
        [join(dir, 'photo.heic'), 'unsupported'],
      ].sort(),
    );
    expect(lines.find((e) => e.path === join(dir, 'drafts'))).toMatchObject({ rule: join(dir, '.pragignore') });
    expect(lines.find((e) => e.path === join(dir, 'README.md'))).toMatchObject({ rule: 'default' });

    const files = lines.filter((e) => e.event === 'file');
    expect(files.map((e) => e.path)).toEqual([
      join(dir, 'LICENSE.txt'),
      join(dir, 'logs', 'keep.log'),
      join(dir, 'plan.md'),
      join(dir, 'visits.mbox'),
    ]);
    expect(files.every((e) => e.state === 'done')).toBe(true);
    const mboxDone = lines.findIndex((e) => e.event === 'file' && e.path === join(dir, 'visits.mbox'));
    expect(lines[mboxDone]).toMatchObject({ doc_ids: expect.any(Array), already_stored: 0, failed: [] });
    expect((lines[mboxDone]?.doc_ids as string[]).length).toBe(12);
    // Progress from the service arrived before the mbox's result: it was seen running, part-way.
    const progress = lines
      .slice(0, mboxDone)
      .filter((e) => e.event === 'progress' && e.path === join(dir, 'visits.mbox'));
    expect(progress.some((e) => e.state === 'running')).toBe(true);
    expect(progress[0]).toMatchObject({ upload_id: lines[mboxDone]?.upload_id, documents: expect.any(Object) });
    expect(lines.at(-1)).toMatchObject({ event: 'summary', files: 4, stored: 4, documents: 15, exit_code: 0 });

    // Again: everything is already stored (matched by content), which still counts as stored.
    const again = await run('upload', ...as, '--collection', 'health', join(dir, 'plan.md'));
    expect(again.code).toBe(0);
    expect(events(again.stdout).find((e) => e.event === 'file')).toMatchObject({
      state: 'done',
      doc_ids: [],
      already_stored: 1,
    });

    // The uploads, listed and followed after the fact.
    const listed = JSON.parse((await prag('uploads', ...as, '--json')).stdout) as Array<Record<string, unknown>>;
    expect(listed.map((u) => [u.name, u.state])).toContainEqual(['visits.mbox', 'done']);
    const followed = await run('uploads', ...as, '--follow', String(lines[mboxDone]?.upload_id), '--json');
    expect(followed.code).toBe(0);
    expect(events(followed.stdout).find((e) => e.event === 'file')).toMatchObject({
      path: 'visits.mbox',
      state: 'done',
    });
    const late = await run('uploads', 'cancel', String(lines[mboxDone]?.upload_id), ...as);
    expect(late).toMatchObject({ code: 1, stdout: expect.stringContaining('it had already finished (done)') });
  }, 180_000);

  it('exit codes: 1 when a file or a document failed, for upload and index alike; 2 for usage', async () => {
    const dir = join(work.path, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'broken.pdf'), 'not a pdf');
    writeFileSync(join(dir, 'note.txt'), 'The boiler service is due in October.');
    const upload = await run('upload', ...as, dir);
    expect(upload.code).toBe(1);
    const file = events(upload.stdout).find((e) => e.event === 'file' && e.path === join(dir, 'broken.pdf'));
    expect(file).toMatchObject({ state: 'done', failed: [{ error: expect.stringMatching(/^format_mismatch: /) }] });
    expect(events(upload.stdout).at(-1)).toMatchObject({ event: 'summary', exit_code: 1, documents_failed: 1 });
    expect(await run('upload', ...as, join(dir, 'photo.heic'))).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`${join(dir, 'photo.heic')} does not exist`),
    });
    // A file named on the command line is sent as it is: the service refuses what it cannot read.
    writeFileSync(join(dir, 'photo.heic'), 'not read');
    const refused = await run('upload', ...as, join(dir, 'photo.heic'));
    expect(refused.code).toBe(1);
    expect(events(refused.stdout).find((e) => e.event === 'file')).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^unsupported_format: /),
    });

    const index = (...paths: string[]) => run('index', '--data-dir', local.path, '--json', ...paths);
    const indexed = await index(dir);
    expect(indexed.code).toBe(1);
    expect(JSON.parse(indexed.stdout)).toMatchObject({
      documents: 1,
      failed: [{ path: join(dir, 'broken.pdf') }],
      excluded: [{ path: join(dir, 'photo.heic'), reason: 'unsupported' }],
    });
    expect((await index(join(dir, 'note.txt'))).code).toBe(0); // already indexed counts as stored

    const empty = join(work.path, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, '.hidden.txt'), 'x');
    expect(await run('upload', ...as, empty)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/nothing to upload/),
    });
    expect(await run('uploads', 'cancel', 'not-an-id', ...as)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/not an upload id/),
    });
  }, 180_000);

  it('Ctrl-C without a terminal detaches and says how to follow or cancel; cancel then rolls the upload back', async () => {
    const big = join(work.path, 'big.mbox');
    writeFileSync(big, mbox(300, 'boiler', 40));
    const before = JSON.parse((await prag('docs', ...as, '--json')).stdout) as unknown[];

    const child = spawnCli(['upload', ...as, '--json', big], { env: { ...process.env, PRAG_CACHE_DIR: work.path } });
    let stdout = '';
    const running = new Promise<void>((resolve) => {
      child.stdout?.on('data', (d) => {
        stdout += String(d);
        if (/"event":"progress".*"state":"running"/.test(stdout)) resolve();
      });
    });
    const exited = once(child, 'exit');
    await running;
    child.kill('SIGINT');
    const [code] = (await exited) as [number];
    expect(code).toBe(130);
    const detached = events(stdout).find((e) => e.event === 'detached');
    const uploads = detached?.uploads as Array<{ path: string; upload_id: string }>;
    expect(uploads).toEqual([{ path: big, upload_id: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    expect(detached).toMatchObject({ follow: 'prag uploads --follow ID', cancel: 'prag uploads cancel ID' });

    // The service went on with it; cancelling rolls it back and touches nothing else.
    const id = uploads[0]?.upload_id ?? '';
    const listed = JSON.parse((await prag('uploads', ...as, '--json')).stdout) as Array<Record<string, unknown>>;
    expect(listed.find((u) => u.upload_id === id)?.state).toBe('running');
    expect((await prag('uploads', 'cancel', id, ...as)).stdout).toContain('cancelled; nothing of it is stored');
    const followed = await run('uploads', ...as, '--follow', id, '--json');
    expect(followed.code).toBe(1);
    expect(events(followed.stdout).find((e) => e.event === 'file')).toMatchObject({
      state: 'cancelled',
      error: expect.stringMatching(/^upload_cancelled: /),
    });
    expect(JSON.parse((await prag('docs', ...as, '--json')).stdout)).toEqual(before);
  }, 180_000);
});
