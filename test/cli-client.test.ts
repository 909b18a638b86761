import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from './helpers/index.js';
import { startTestService, type TestService } from './helpers/service.js';

const run = promisify(execFile);
const PRAG = new URL('../bin/prag.js', import.meta.url).pathname;
const prag = (...args: string[]) => run(process.execPath, [PRAG, ...args], { env: { ...process.env, PRAG_CACHE_DIR: work.path }, maxBuffer: 16 * 1024 * 1024 });
const failure = (p: Promise<unknown>) => p.then(() => 'succeeded', (e: { stderr: string }) => e.stderr.trim());

const data = tempDir();
const work = tempDir();
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService(data.path);
});
afterAll(async () => {
  await svc.close();
  data.cleanup();
  work.cleanup();
});

describe('prag CLI (client of a service)', () => {
  it('keygen, attest, upload, search --json, docs --json, delete, revoke-permit', async () => {
    const id = join(work.path, 'me.json');
    const { stdout: address } = await prag('keygen', '--out', id);
    expect(address.trim()).toMatch(/^secret1[0-9a-z]{38}$/);
    expect(statSync(id).mode & 0o777).toBe(0o600);
    expect(await failure(prag('keygen', '--out', id))).toMatch(/EEXIST/);

    expect(await failure(prag('attest', '--url', svc.url))).toMatch(/attestation check "dev_evidence" failed/);
    const attested = JSON.parse((await prag('attest', '--url', svc.url, '--allow-insecure-dev', '--json')).stdout);
    expect(attested).toMatchObject({ ok: true, insecure: true, statement: { provider: 'dev', key_origin: 'derived' } });

    const common = ['--url', svc.url, '--identity', id, '--allow-insecure-dev'];
    expect(await failure(prag('upload', '--url', svc.url, '--identity', id, fixture('medical')))).toMatch(/dev_evidence/); // verifies before sending
    writeFileSync(join(work.path, 'plan.md'), '# Care plan\nPhysiotherapy twice a week for the left knee until March.');
    const uploaded = JSON.parse((await prag('upload', ...common, '--collection', 'health', '--json', join(work.path, 'plan.md'), fixture('email', 'node-mbox_test-4-message.mbox'))).stdout);
    expect(uploaded).toHaveLength(2);
    expect(uploaded[0]).toMatchObject({ chunks: 1, failed: [] });
    expect(uploaded[1].doc_ids).toHaveLength(4);

    const hits = JSON.parse((await prag('search', ...common, '--k', '2', '--json', 'knee physiotherapy')).stdout);
    expect(Object.keys(hits[0]).sort()).toEqual(['chunk_id', 'doc_id', 'page', 'score', 'source', 'text', 'title']);
    expect(hits[0]).toMatchObject({ title: 'Care plan', source: 'plan.md', doc_id: uploaded[0].doc_ids[0] });

    const docs = JSON.parse((await prag('docs', ...common, '--json')).stdout);
    expect(docs).toHaveLength(5);
    expect(docs.every((d: { collection: string }) => d.collection === 'health')).toBe(true);

    expect(JSON.parse((await prag('delete', ...common, '--json', uploaded[0].doc_ids[0])).stdout)).toEqual({ deleted: 1 });
    expect(await failure(prag('delete', ...common, uploaded[0].doc_ids[0]))).toMatch(/document_not_found/);

    await prag('revoke-permit', ...common, '--permit-name', 'prag-admin', '--name', 'prag-cli');
    expect(await failure(prag('docs', ...common))).toMatch(/permit_revoked/);
    expect(JSON.parse((await prag('docs', ...common, '--permit-name', 'prag-phone', '--json')).stdout)).toHaveLength(4);
  });
});
