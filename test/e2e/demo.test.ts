/** `npm run demo` runs end to end on a fresh machine and reports that sharing held. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);

test('npm run demo: upload, cited answers, share, grantee answer, revoke, access log', async () => {
  const root = new URL('../..', import.meta.url).pathname;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PRAG_LLM') || k === 'SECRET_AI_API_KEY') delete env[k];
  const { stdout } = await run('npm', ['run', '--silent', 'demo'], { cwd: root, env, maxBuffer: 4 * 1024 * 1024 });
  expect(stdout).toContain('discharge-summary.json → collection "medical"');
  expect(stdout).toMatch(/14 April 2026 at 10:30.*\[\d\]/);
  expect(stdout).toMatch(/Apixaban 5 mg tablet.*\[\d\]/);
  expect(stdout).toContain('receipt verified');
  expect(stdout).toMatch(/doctor\s+chat/);
  expect(stdout).toContain('only from "medical": yes.');
}, 120_000);
