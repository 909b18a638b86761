/** `prag ask`, `prag chat` and `prag verify-receipt` against a service on loopback (no LLM configured: extractive answers). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner, failure, runCliWithInput } from '../helpers/cli.js';
import { tempDir } from '../helpers/index.js';
import { must } from '../helpers/must.js';
import { startTestService, type TestService } from '../helpers/service.js';

const cli = () => ({ env: { PRAG_CACHE_DIR: work.path } });
const prag = cliRunner(cli);
/** Runs prag with `input` on stdin. */
const pragWithInput = (input: string, ...args: string[]) => runCliWithInput(input, args, cli());

const data = tempDir();
const work = tempDir();
let svc: TestService;
let common: string[];

beforeAll(async () => {
  svc = await startTestService(data.path);
  const id = join(work.path, 'me.json');
  await prag('keygen', '--out', id);
  common = ['--url', svc.url, '--identity', id, '--allow-insecure-dev'];
  writeFileSync(
    join(work.path, 'policy.md'),
    '# Home insurance\nThe home insurance policy covers water damage up to 20,000 EUR. The excess is 250 EUR per claim.',
  );
  await prag('upload', ...common, '--collection', 'insurance', join(work.path, 'policy.md'));
});

afterAll(async () => {
  await svc.close();
  data.cleanup();
  work.cleanup();
});

describe('prag ask / chat / verify-receipt', () => {
  it('ask --json prints answer, citations, receipt and llm; verify-receipt accepts it and refuses it altered', async () => {
    const answer = JSON.parse((await prag('ask', ...common, '--json', 'What is the excess per claim?')).stdout);
    expect(Object.keys(answer).sort()).toEqual(['answer', 'citations', 'llm', 'receipt']);
    expect(answer.answer).toContain('250 EUR');
    expect(answer.citations[0]).toMatchObject({ n: 1, title: 'Home insurance', collection: 'insurance' });
    expect(answer.llm).toEqual({
      provider: 'extractive',
      model: 'extractive',
      attestation: { mode: 'off', status: 'not_applicable' },
    });

    const file = join(work.path, 'answer.json');
    writeFileSync(file, JSON.stringify(answer));
    const ok = await prag('verify-receipt', '--url', svc.url, '--allow-insecure-dev', file);
    expect(ok.stdout).toMatch(
      /^receipt valid: signed by prag-[0-9a-f]+ .*extractive\/extractive; 1 cited passage; worker attestation not_applicable/,
    );
    expect(await failure(prag('verify-receipt', '--url', svc.url, file))).toMatch(/dev_evidence/); // the key is only trusted once attested

    writeFileSync(file, JSON.stringify({ ...answer, answer: answer.answer.replace('250', '350') }));
    expect(await failure(prag('verify-receipt', '--url', svc.url, '--allow-insecure-dev', file))).toMatch(
      /receipt check "answer" failed/,
    );
    writeFileSync(file, JSON.stringify({ ...answer, citations: [] }));
    expect(await failure(prag('verify-receipt', '--url', svc.url, '--allow-insecure-dev', file))).toMatch(
      /receipt check "citations" failed/,
    );
  });

  it('ask streams the answer, then its sources', async () => {
    const { stdout, stderr } = await prag(
      'ask',
      ...common,
      '--collection',
      'insurance',
      'Does the policy cover water damage?',
    );
    expect(stdout).toMatch(/water damage up to 20,000 EUR\.? \[1\]/);
    expect(stdout).toContain('Sources:\n  [1] Home insurance — insurance');
    expect(stderr).toContain('answered by extractive/extractive');
    expect(stderr).toContain('receipt verified');
  });

  it('chat --store keeps the conversation; --resume shows and continues it; --list lists it', async () => {
    const first = await pragWithInput('What is the excess?\n/exit\n', 'chat', ...common, '--store');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('250 EUR');
    const id = must(/conversation ([0-9a-f]{32})/.exec(first.stderr)?.[1], 'a conversation id on stderr');

    const resumed = await pragWithInput('And the water damage limit?\n', 'chat', ...common, '--resume', id);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('you> What is the excess?');
    expect(resumed.stdout).toContain('20,000 EUR');
    const listed = JSON.parse((await prag('chat', ...common, '--list', '--json')).stdout);
    expect(listed).toEqual([expect.objectContaining({ id, messages: 4, title: 'What is the excess?' })]);
  });
});
