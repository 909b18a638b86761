/** Operations: readiness, metrics on loopback only, log redaction, rate limits (per address, per client), quotas, graceful shutdown. */
import { readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { errorBody, ERRORS } from '../../schemas/errors.js';
import { ROUTES } from '../../schemas/routes.js';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { signPermit } from '../../src/client/credentials.js';
import { PragClient } from '../../src/client/session.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/server/log.js';
import { tempDir } from '../helpers/index.js';
import { must } from '../helpers/must.js';
import { startTestService, testUser, textUpload, type TestService } from '../helpers/service.js';
import { chunkCount, documentIdsOf, uploadsOf, wrappedKey } from '../helpers/state.js';

const MAIL = (i: number) =>
  `From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nTo: b@example.org\nSubject: Note ${i}\n\n${`Message ${i} about the garden shed, the fence and the apple tree. `.repeat(8)}\n\n`;

describe('operations', () => {
  const dir = tempDir();
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(
      `${dir.path}/ops`,
      {},
      {
        PRAG_RATE_BURST: '5',
        PRAG_RATE_PER_MIN: '60',
        PRAG_QUOTA_DOCS: '3',
        PRAG_QUOTA_MB: '1',
        PRAG_METRICS_PORT: '0',
      },
    );
  });
  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  test('/healthz and /readyz answer; /metrics only on loopback, with counts and latencies, no addresses, ids or text', async () => {
    const user = await testUser(svc.url);
    const up = await user.client.upload(
      user.permit,
      textUpload('passport.txt', 'Passport number X1234567 expires 2031.'),
    );
    await user.client.call(ROUTES.search, user.permit, { query: 'when does the passport expire' });
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${svc.url}/readyz`)).json()).toEqual({ ready: true });
    const publicMetrics = await fetch(`${svc.url}/metrics`);
    expect(publicMetrics.status).toBe(404);
    expect(await publicMetrics.json()).toEqual(errorBody('not_found'));
    const metricsUrl = must(svc.metricsUrl, 'the metrics listener');
    expect(new URL(metricsUrl).hostname).toBe('127.0.0.1');
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(404); // that listener serves metrics and nothing else
    const res = await fetch(`${metricsUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/prag_http_requests_total\{method="POST",route="\/v1\/search",status="200"\} 1/);
    expect(text).toMatch(/prag_ingest_documents_total 1/);
    expect(text).toMatch(/prag_http_request_duration_seconds_bucket/);
    for (const secret of [
      user.address,
      must(up.doc_ids[0], 'the uploaded document id'),
      'X1234567',
      'passport',
      user.client.serviceId,
    ])
      expect(text).not.toContain(secret);
  });

  test('an address over its rate gets 429 with Retry-After; another address is unaffected', async () => {
    const greedy = await testUser(svc.url);
    const other = await testUser(svc.url);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => greedy.client.call(ROUTES.list, greedy.permit, {})),
    );
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused[0]).toMatchObject({ status: 429, code: 'rate_limited' });
    await expect(other.client.call(ROUTES.list, other.permit, {})).resolves.toEqual({ documents: [] });
    expect(await (await fetch(`${must(svc.metricsUrl, 'the metrics listener')}/metrics`)).text()).toMatch(
      /prag_requests_refused_total\{code="rate_limited"\} [3-9]/,
    );
  });

  test('quotas: documents and bytes per user, checked before anything is stored', async () => {
    const user = await testUser(svc.url);
    for (let i = 0; i < 3; i++)
      await user.client.upload(user.permit, textUpload(`n${i}.txt`, `Note number ${i} about insurance.`));
    await expect(user.client.upload(user.permit, textUpload('n3.txt', 'One too many.'))).rejects.toMatchObject({
      status: 403,
      code: 'quota_exceeded',
    });
    const big = await testUser(svc.url);
    const before = chunkCount(svc.service.engine);
    const refused: unknown = await big.client
      .upload(big.permit, textUpload('big.txt', 'x '.repeat(600_000)))
      .catch((e: unknown) => e);
    // The refusal's body is the code's fixed message: no upload size, no usage, no limit.
    expect(refused).toMatchObject({
      status: 403,
      code: 'quota_exceeded',
      message: `quota_exceeded: ${ERRORS.quota_exceeded.message}`,
    });
    expect((refused as Error).message).not.toMatch(/\d/);
    expect(chunkCount(svc.service.engine)).toBe(before);
    expect((await big.client.call(ROUTES.collections, big.permit, {})).collections).toEqual([]);
  });

  test('log redaction censors user-provided fields even if a log call includes them by mistake', () => {
    const lines: string[] = [];
    const log = createLogger(
      new Writable({
        write(c, _e, done) {
          lines.push(String(c));
          done();
        },
      }),
    );
    log.info(
      {
        address: 'secret1abc',
        query: 'my diagnosis',
        nested: { text: 'chunk text', permit: { p: 1 } },
        messages: ['hi'],
        authorization: 'Bearer sk-1',
        route: '/v1/search',
      },
      'oops',
    );
    const line = lines.join('');
    for (const secret of ['secret1abc', 'my diagnosis', 'chunk text', 'sk-1', '"hi"'])
      expect(line).not.toContain(secret);
    expect(line).toContain('/v1/search');
  });
});

describe('per-client rate limit, before anything is opened or verified', () => {
  const dir = tempDir();
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(dir.path, {}, { PRAG_CLIENT_RATE_BURST: '3', PRAG_CLIENT_RATE_PER_MIN: '1' });
  });
  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  /** A GET from a chosen loopback source address (Linux routes all of 127/8 to lo): another network client. */
  const getFrom = (localAddress: string, path: string) =>
    new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
      const req = request(`${svc.url}${path}`, { localAddress }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
      });
      req.on('error', reject);
      req.end();
    });
  const attestation = `/v1/attestation?nonce=${'ab'.repeat(16)}`;

  test('attestation and sealed requests share a bucket per remote address: 429 rate_limited with Retry-After', async () => {
    expect(svc.metricsUrl).toBeUndefined(); // no metrics listener unless PRAG_METRICS_PORT is set
    for (let i = 0; i < 3; i++) expect((await getFrom('127.0.0.1', attestation)).status).toBe(200);
    const limited = await getFrom('127.0.0.1', attestation);
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(limited.body)).toEqual(errorBody('rate_limited'));
    // A sealed route refuses before it looks at the body: not even the media type is checked.
    const sealed = await fetch(`${svc.url}/v1/search`, { method: 'POST', body: 'not an envelope' });
    expect(sealed.status).toBe(429);
    expect(sealed.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await sealed.json()).toEqual(errorBody('rate_limited'));
    // Another client address has its own bucket; the probes are not limited.
    expect((await getFrom('127.0.0.2', attestation)).status).toBe(200);
    expect((await getFrom('127.0.0.1', '/healthz')).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  const mbox = (n: number) => textUpload('archive.mbox', Array.from({ length: n }, (_, i) => MAIL(i)).join(''));

  async function inFlight(svc: TestService) {
    const user = await testUser(svc.url);
    const upload = user.client.upload(user.permit, mbox(400));
    upload.catch(() => undefined);
    while (chunkCount(svc.service.engine) === 0) await new Promise((r) => setTimeout(r, 20));
    return { user, upload };
  }

  test('an ingest still running when the grace period ends is rolled back, stays queued, and finishes after the restart', async () => {
    const svc = await startTestService(`${dir.path}/abort`, { shutdownGraceMs: 0 });
    const { user, upload } = await inFlight(svc);
    await svc.close();
    writeFileSync(join(`${dir.path}/abort`, 'spool', 'cut-off-while-receiving.envelope'), 'partial'); // as a crash mid-receive leaves
    await expect(upload).rejects.toThrow();
    const again = await startTestService(`${dir.path}/abort`);
    try {
      const owner = again.service.ownerId(user.address);
      // Never half-visible: until the resumed job commits, none of its documents is listed.
      const seen: number[] = [];
      let status;
      for (;;) {
        seen.push(again.service.engine.listDocuments(owner).length);
        const client = await PragClient.connect(again.url, { allowInsecureDev: true });
        const permit = await signPermit(user.wallet, {
          chainId: 'secret-4',
          serviceId: client.serviceId,
          device: 'test',
        });
        status = (await client.call(ROUTES.uploads, permit, {})).uploads[0];
        if (status?.state !== 'queued' && status?.state !== 'running') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(new Set(seen.filter((n) => n !== 0 && n !== 400))).toEqual(new Set());
      expect(status).toMatchObject({ state: 'done', name: 'archive.mbox', result: { chunks: expect.any(Number) } });
      expect(must(must(status, 'the upload status').result, 'the upload result').doc_ids).toHaveLength(400);
      expect(again.service.engine.listDocuments(owner)).toHaveLength(400);
      expect(readdirSync(join(`${dir.path}/abort`, 'spool'))).toEqual([]); // the spooled upload is gone once ingested
    } finally {
      await again.close();
    }
  }, 180_000);

  test('a full ingest queue refuses further uploads with 429 ingest_busy before reading them', async () => {
    const svc = await startTestService(`${dir.path}/busy`, { ingestQueue: { jobs: 1, bytes: 1024 ** 3 } });
    try {
      const { upload } = await inFlight(svc);
      const other = await testUser(svc.url);
      await expect(other.client.upload(other.permit, textUpload('note.txt', 'Later.'))).rejects.toMatchObject({
        status: 429,
        code: 'ingest_busy',
      });
      expect((await upload).doc_ids).toHaveLength(400);
      expect((await other.client.upload(other.permit, textUpload('note.txt', 'Later.'))).doc_ids).toHaveLength(1);
      expect(readdirSync(join(`${dir.path}/busy`, 'spool'))).toEqual([]);
    } finally {
      await svc.close();
    }
  }, 180_000);

  test("forget-me while the user's upload is being ingested cancels it: nothing of theirs is left", async () => {
    const svc = await startTestService(`${dir.path}/forget`);
    try {
      const { user, upload } = await inFlight(svc);
      await user.client.call(ROUTES.forgetMe, user.permit, { confirm: user.address });
      await expect(upload).rejects.toMatchObject({ code: 'upload_cancelled' });
      const owner = svc.service.ownerId(user.address);
      expect(wrappedKey(svc.service.engine, owner)).toBeUndefined(); // (reading their listing below would make a new key)
      expect(documentIdsOf(svc.service.engine, owner)).toEqual([]);
      expect(chunkCount(svc.service.engine)).toBe(0);
      expect(uploadsOf(svc.service.engine, owner, 10)).toEqual([]);
      expect(readdirSync(join(`${dir.path}/forget`, 'spool'))).toEqual([]);
    } finally {
      await svc.close();
    }
  }, 180_000);

  test('within the grace period the ingest finishes, its client gets the answer, and the documents are there after restart', async () => {
    const svc = await startTestService(`${dir.path}/finish`, { shutdownGraceMs: 120_000 });
    const { user, upload } = await inFlight(svc);
    const closing = svc.close();
    expect((await fetch(`${svc.url}/readyz`).catch(() => ({ status: 'closed' }))).status).not.toBe(200);
    const reply = await upload;
    await closing;
    expect(reply.doc_ids).toHaveLength(400);
    const again = await startTestService(`${dir.path}/finish`);
    try {
      expect(again.service.engine.listDocuments(again.service.ownerId(user.address))).toHaveLength(400);
    } finally {
      await again.close();
    }
  }, 180_000);
});
