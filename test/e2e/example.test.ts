/**
 * examples/upload-and-ask.mjs against a test service: the client library as
 * a user imports it (`prag/client`, through package.json's exports; the
 * `prag-source` condition maps it to the TypeScript sources, so no build is
 * needed) uploads a folder and asks a question.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createIdentity } from '../../src/client/identity.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/upload-and-ask.mjs', import.meta.url));
const dir = tempDir();
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService(join(dir.path, 'service'));
});

afterAll(async () => {
  await svc?.close();
  dir.cleanup();
});

test('the example uploads a folder and asks a question about it', async () => {
  const identity = join(dir.path, 'me.json');
  await createIdentity(identity);
  const folder = join(dir.path, 'notes');
  mkdirSync(folder);
  writeFileSync(join(folder, 'vaccines.txt'), 'Vaccination record: tetanus booster given on 3 March 2021.');
  writeFileSync(join(folder, 'garden.txt'), 'The tomatoes need watering every second day in July.');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--conditions=prag-source',
      '--import',
      'tsx',
      EXAMPLE,
      svc.url,
      identity,
      folder,
      'When was the tetanus booster given?',
      '--allow-insecure-dev',
    ],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)) },
  );
  expect(stdout).toMatch(/^verified service prag-[0-9a-f]+ as secret1/);
  expect(stdout).toMatch(/vaccines\.txt: 1 documents, 1 chunks/);
  expect(stdout).toMatch(/garden\.txt: 1 documents, 1 chunks/);
  expect(stdout).toMatch(/3 March 2021/);
  expect(stdout).toMatch(/Sources:\n\[1\] vaccines\.txt/);
  expect(stdout).toMatch(/receipt verified \(extractive\/extractive\)/);
});
