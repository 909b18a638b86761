import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner, failure } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const prag = cliRunner(() => ({ env: { PRAG_CACHE_DIR: work.path } }));

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
    expect(await failure(prag('keygen', '--out', id))).toMatch(/already exists/);

    expect(await failure(prag('attest', '--url', svc.url))).toMatch(/attestation check "dev_evidence" failed/);
    const attest = await prag('attest', '--url', svc.url, '--allow-insecure-dev', '--json');
    expect(JSON.parse(attest.stdout)).toMatchObject({
      ok: true,
      insecure: true,
      statement: { provider: 'dev', key_origin: 'enclave' },
    });
    expect(attest.stderr).toMatch(/WARNING: the service runs the insecure dev provider/);
    // A measurement policy never lets dev evidence through, whatever the flag says.
    const policy = join(work.path, 'policy.json');
    writeFileSync(
      policy,
      JSON.stringify({
        v: 1,
        measurements: [{ mrtd: '0'.repeat(96), rtmr0: '0'.repeat(96), rtmr1: '0'.repeat(96), rtmr2: '0'.repeat(96) }],
      }),
    );
    expect(await failure(prag('attest', '--url', svc.url, '--allow-insecure-dev', '--policy', policy))).toMatch(
      /dev_evidence.*never accepts/,
    );

    const common = ['--url', svc.url, '--identity', id, '--allow-insecure-dev'];
    expect(await failure(prag('upload', '--url', svc.url, '--identity', id, fixture('medical')))).toMatch(
      /dev_evidence/,
    ); // verifies before sending
    writeFileSync(join(work.path, 'plan.md'), '# Care plan\nPhysiotherapy twice a week for the left knee until March.');
    const uploaded = (
      await prag(
        'upload',
        ...common,
        '--collection',
        'health',
        '--json',
        join(work.path, 'plan.md'),
        fixture('email', 'node-mbox_test-4-message.mbox'),
      )
    ).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((e) => e.event === 'file');
    expect(uploaded).toHaveLength(2);
    expect(uploaded[0]).toMatchObject({ chunks: 1, failed: [] });
    expect(uploaded[1].doc_ids).toHaveLength(4);

    const hits = JSON.parse((await prag('search', ...common, '--k', '2', '--json', 'knee physiotherapy')).stdout);
    expect(Object.keys(hits[0]).sort()).toEqual([
      'chunk_id',
      'doc_id',
      'ocr',
      'page',
      'score',
      'source',
      'text',
      'title',
    ]);
    expect(hits[0]).toMatchObject({ title: 'Care plan', source: 'plan.md', doc_id: uploaded[0].doc_ids[0] });

    const docs = JSON.parse((await prag('docs', ...common, '--json')).stdout);
    expect(docs).toHaveLength(5);
    expect(docs.every((d: { collection: string }) => d.collection === 'health')).toBe(true);

    expect(JSON.parse((await prag('delete', ...common, '--json', uploaded[0].doc_ids[0])).stdout)).toEqual({
      deleted: 1,
    });
    expect(await failure(prag('delete', ...common, uploaded[0].doc_ids[0]))).toMatch(/document_not_found/);

    await prag('revoke-permit', ...common, '--as', 'admin', '--device', 'cli');
    expect(await failure(prag('docs', ...common))).toMatch(/permit_revoked/);
    expect(JSON.parse((await prag('docs', ...common, '--as', 'phone', '--json')).stdout)).toHaveLength(4);
  });

  it('collections, share, shares --json, shares accept/decline, audit --json, unshare, forget-me', async () => {
    const owner = join(work.path, 'owner.json');
    const doctor = join(work.path, 'doctor.json');
    const doctorAddress = (await prag('keygen', '--out', doctor)).stdout.trim();
    const ownerAddress = (await prag('keygen', '--out', owner)).stdout.trim();
    const as = (id: string) => ['--url', svc.url, '--identity', id, '--allow-insecure-dev'];
    writeFileSync(join(work.path, 'ecg.txt'), 'ECG shows sinus rhythm, heart rate 64, no ST changes.');
    await prag('upload', ...as(owner), '--collection', 'cardiology', join(work.path, 'ecg.txt'));
    expect(JSON.parse((await prag('collections', 'list', ...as(owner), '--json')).stdout)).toMatchObject([
      { name: 'cardiology', documents: 1 },
    ]);

    await prag('share', ...as(owner), '--with', doctorAddress, '--collection', 'cardiology', '--expires', '30d');
    expect(await failure(prag('share', ...as(owner), '--with', 'secret1nope', '--collection', 'cardiology'))).toMatch(
      /grantee_invalid/,
    );
    const offered = JSON.parse((await prag('shares', ...as(doctor), '--json')).stdout);
    expect(offered.received).toMatchObject([{ with: ownerAddress, collection: 'cardiology', state: 'pending' }]);
    expect(JSON.parse((await prag('search', ...as(doctor), '--json', 'sinus rhythm heart rate')).stdout)).toEqual([]);
    const grantId: string = offered.received[0].grant_id;
    expect((await prag('shares', 'accept', grantId, ...as(doctor))).stdout).toContain(`grant ${grantId}: active`);
    const shares = JSON.parse((await prag('shares', 'list', ...as(doctor), '--json')).stdout);
    expect(shares.received).toMatchObject([{ with: ownerAddress, collection: 'cardiology', state: 'active' }]);
    const hits = JSON.parse((await prag('search', ...as(doctor), '--json', 'sinus rhythm heart rate')).stdout);
    expect(hits[0].text).toContain('sinus rhythm');

    const log = JSON.parse((await prag('audit', ...as(owner), '--json')).stdout);
    expect(log.some((e: { requester: string }) => e.requester === doctorAddress)).toBe(true);

    expect(JSON.parse((await prag('shares', 'decline', grantId, ...as(doctor), '--json')).stdout)).toEqual({
      grant_id: grantId,
      state: 'left',
    });
    expect(JSON.parse((await prag('search', ...as(doctor), '--json', 'sinus rhythm heart rate')).stdout)).toEqual([]);
    await prag('unshare', ...as(owner), '--with', doctorAddress, '--collection', 'cardiology');
    expect(JSON.parse((await prag('search', ...as(doctor), '--json', 'sinus rhythm heart rate')).stdout)).toEqual([]);

    expect(await failure(prag('forget-me', ...as(owner)))).toMatch(/run again with --yes/);
    expect((await prag('forget-me', ...as(owner), '--yes')).stdout).toMatch(/1 documents deleted, data key destroyed/);
    expect(JSON.parse((await prag('docs', ...as(owner), '--json')).stdout)).toEqual([]);
  });
});
