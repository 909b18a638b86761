/**
 * The confidential service end to end, on loopback: what a user, another
 * user, and an attacker on the wire or on the host would see.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENVELOPE_MEDIA_TYPE, REQUEST_TYPES, type Permit } from '../schemas/api.js';
import { Wallet } from '../src/auth/secretjs.js';
import { signPermit } from '../src/client/identity.js';
import { concatBytes, utf8ToBytes } from '../src/crypto/bytes.js';
import { keyId, sealEnvelope } from '../src/crypto/envelope.js';
import { SEGMENT_BYTES, TAG_BYTES } from '../schemas/envelope.js';
import { openTestEngine, tempDir } from './helpers/index.js';
import { findInText, findSecret } from './helpers/scan.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from './helpers/service.js';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}-ZEBRA`;
const MAIL = (i: number, body: string) =>
  `From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: Dr Who <dr@clinic.example>\nTo: patient@example.org\nSubject: Visit ${i}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\n${body}\n\n`;

async function sealBytes(
  x25519: Uint8Array,
  type: string,
  name: string,
  payload: Uint8Array,
  meta: Record<string, unknown>,
) {
  const sealed = sealEnvelope(x25519, { type, name, size: payload.length, meta }, payload);
  const parts: Uint8Array[] = [];
  for await (const p of sealed.stream) parts.push(p);
  return concatBytes(...parts);
}

async function post(url: string, path: string, body: Uint8Array): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': ENVELOPE_MEDIA_TYPE },
    body: body as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  return {
    status: res.status,
    code: res.ok ? undefined : (JSON.parse(text) as { error: { code: string } }).error.code,
  };
}

const freshMeta = (permit: Permit, extra: Record<string, unknown> = {}) => ({
  permit,
  ts: Date.now(),
  nonce: randomBytes(16).toString('hex'),
  ...extra,
});

describe('confidential service', () => {
  const dir = tempDir();
  let svc: TestService;
  let alice: TestUser;
  let bob: TestUser;
  let aliceDocs: string[] = [];

  const stored = async () => ({
    chunks: svc.service.engine.meta.chunkCount(),
    rows: await svc.service.engine.vectors.count(),
    keys: svc.service.engine.meta.ownerKeyCount(),
  });

  beforeAll(async () => {
    svc = await startTestService(dir.path);
    alice = await testUser(svc.url);
    bob = await testUser(svc.url);
    const note = await alice.client.upload(
      alice.permit,
      textUpload(
        'allergies.txt',
        `Penicillin allergy confirmed on 2024-03-02. Reference ${CANARY}. Rash and swelling within an hour.`,
        'medical',
      ),
    );
    const mbox = Array.from({ length: 3 }, (_, i) =>
      MAIL(i, `Your results are ready. Ferritin is low. Code ${CANARY} visit ${i}.`),
    ).join('');
    const mail = await alice.client.upload(alice.permit, textUpload('clinic.mbox', mbox, 'mail'));
    aliceDocs = [...note.doc_ids, ...mail.doc_ids];
    await bob.client.upload(
      bob.permit,
      textUpload('bob.txt', 'Bob keeps his passport in the blue folder in the study.'),
    );
  });
  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  test('the owner finds, lists and reads back their documents', async () => {
    expect(aliceDocs).toHaveLength(4);
    const { hits } = await alice.client.search(alice.permit, { query: 'penicillin allergy rash', k: 3 });
    expect(hits[0]).toMatchObject({ title: 'allergies.txt', source: 'allergies.txt', collection: 'medical' });
    expect(hits[0]!.text).toContain(CANARY);
    const byKeyword = await alice.client.search(alice.permit, {
      query: 'ferritin',
      k: 5,
      filters: { collections: ['mail'], from: 'dr@clinic.example' },
    });
    expect(byKeyword.hits.map((h) => h.title).sort()).toEqual(['Visit 0', 'Visit 1', 'Visit 2']);
    const { documents } = await alice.client.list(alice.permit);
    expect(documents.map((d) => d.doc_id).sort()).toEqual([...aliceDocs].sort());
  });

  test('canary: nothing under the data dir and nothing in the logs holds it, plain, UTF-16 or base64', async () => {
    await alice.client.search(alice.permit, { query: `where is ${CANARY}`, k: 5 });
    await svc.service.engine.maintain(); // indexes written too
    expect(findSecret(dir.path, CANARY)).toEqual([]);
    expect(findSecret(dir.path, 'Penicillin allergy confirmed')).toEqual([]);
    expect(findSecret(dir.path, 'dr@clinic.example')).toEqual([]);
    expect(findSecret(dir.path, alice.address)).toEqual([]); // owners are keyed hashes on disk
    const logs = svc.logs.join('');
    expect(logs.length).toBeGreaterThan(500);
    for (const secret of [CANARY, 'Penicillin', 'allergies.txt', alice.address])
      expect(findInText(logs, secret)).toEqual([]);
  });

  test('the scanner does see plain storage (control: embedded mode stores text as it is)', async () => {
    const plain = tempDir();
    try {
      const engine = await openTestEngine(plain.path);
      const text = `control ${CANARY} text`;
      await engine.ingest(
        [
          {
            path: 'c.txt',
            size: text.length,
            readBytes: async () => utf8ToBytes(text),
            stream: async function* () {
              yield utf8ToBytes(text);
            },
          },
        ],
        { owner: 'x' },
      );
      await engine.close();
      expect(findSecret(plain.path, CANARY).length).toBeGreaterThan(0);
    } finally {
      plain.cleanup();
    }
  });

  test("isolation: another identity never receives the owner's chunks, by search, listing or delete", async () => {
    const { hits } = await bob.client.search(bob.permit, { query: `penicillin allergy ${CANARY} ferritin`, k: 50 });
    expect(hits.map((h) => h.title)).toEqual(['bob.txt']);
    expect(JSON.stringify(hits)).not.toContain(CANARY);
    const { documents } = await bob.client.list(bob.permit);
    expect(documents.map((d) => d.title)).toEqual(['bob.txt']);
    await expect(bob.client.delete(bob.permit, aliceDocs[0]!)).rejects.toMatchObject({
      status: 404,
      code: 'document_not_found',
    });
    expect((await alice.client.list(alice.permit)).documents).toHaveLength(4);
  });

  describe('refused requests get a precise 4xx and store nothing', () => {
    const upload = (permit: Permit, text = `secret ${CANARY}`, meta: Record<string, unknown> = {}) =>
      sealBytes(
        alice.client.service.x25519,
        REQUEST_TYPES.upload,
        'evil.txt',
        utf8ToBytes(text),
        freshMeta(permit, meta),
      );

    test.each([
      [
        'flipped header byte',
        (b: Uint8Array) => {
          const c = b.slice();
          c[70]! ^= 1;
          return c;
        },
        'envelope_header_invalid',
      ],
      [
        'flipped payload byte',
        (b: Uint8Array) => {
          const c = b.slice();
          c[c.length - 3]! ^= 1;
          return c;
        },
        'envelope_segment_invalid',
      ],
      ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 10), 'envelope_segment_invalid'],
      ['cut before the payload', (b: Uint8Array) => b.subarray(0, 60), 'envelope_truncated'],
      [
        'version changed',
        (b: Uint8Array) => {
          const c = b.slice();
          c[4] = 2;
          return c;
        },
        'envelope_version',
      ],
      ['not an envelope', () => utf8ToBytes('{"query":"x"}'), 'envelope_malformed'],
    ])('%s', async (_, mangle, code) => {
      const before = await stored();
      const res = await post(svc.url, '/v1/documents', mangle(await upload(alice.permit)));
      expect(res).toEqual({ status: 400, code });
      expect(await stored()).toEqual(before);
    });

    test('re-addressed to another service key → envelope_wrong_recipient', async () => {
      const before = await stored();
      const other = (await import('@noble/curves/ed25519.js')).x25519;
      const otherKey = other.getPublicKey(other.utils.randomSecretKey());
      const body = await sealBytes(
        otherKey,
        REQUEST_TYPES.upload,
        'evil.txt',
        utf8ToBytes(CANARY),
        freshMeta(alice.permit),
      );
      expect(await post(svc.url, '/v1/documents', body)).toEqual({ status: 400, code: 'envelope_wrong_recipient' });
      const pasted = body.slice();
      pasted.set(keyId(alice.client.service.x25519), 5);
      expect(await post(svc.url, '/v1/documents', pasted)).toEqual({ status: 400, code: 'envelope_header_invalid' });
      expect(await stored()).toEqual(before);
    });

    test('reordered segments of a multi-segment upload → envelope_segment_invalid', async () => {
      const before = await stored();
      const text = `${'lorem ipsum dolor '.repeat(8000)} ${CANARY}`;
      const body = await upload(alice.permit, text);
      const headerEnd = 53 + 4 + new DataView(body.buffer, body.byteOffset + 53, 4).getUint32(0);
      const seg = SEGMENT_BYTES + TAG_BYTES;
      const swapped = concatBytes(
        body.subarray(0, headerEnd),
        body.subarray(headerEnd + seg, headerEnd + 2 * seg),
        body.subarray(headerEnd, headerEnd + seg),
        body.subarray(headerEnd + 2 * seg),
      );
      expect(await post(svc.url, '/v1/documents', swapped)).toEqual({ status: 400, code: 'envelope_segment_invalid' });
      expect(await stored()).toEqual(before);
    });

    test('an mbox whose last segment fails is refused before any of it reaches the stores (authenticated in full while spooled)', async () => {
      const before = await stored();
      const mbox = Array.from({ length: 700 }, (_, i) => MAIL(i, `Message ${i} about invoices and ${CANARY}.`)).join(
        '',
      );
      const body = await sealBytes(
        alice.client.service.x25519,
        REQUEST_TYPES.upload,
        'big.mbox',
        utf8ToBytes(mbox),
        freshMeta(alice.permit),
      );
      expect(body.length).toBeGreaterThan(2 * SEGMENT_BYTES);
      const tampered = body.slice();
      tampered[tampered.length - 2]! ^= 1;
      const vectors = svc.service.engine.vectors;
      const add = vectors.add;
      let written = 0;
      vectors.add = (rows) => {
        written += rows.length;
        return add.call(vectors, rows);
      };
      try {
        expect(await post(svc.url, '/v1/documents', tampered)).toEqual({
          status: 400,
          code: 'envelope_segment_invalid',
        });
      } finally {
        vectors.add = add;
      }
      expect(written).toBe(0); // nothing is ingested before the whole upload is authentic
      expect(await stored()).toEqual(before);
      expect(readdirSync(join(dir.path, 'spool'))).toEqual([]); // and its spool file is gone
      const { hits } = await alice.client.search(alice.permit, { query: 'invoices', k: 10 });
      expect(hits.filter((h) => h.text.includes('invoices'))).toEqual([]);
    });

    test('permit and freshness failures: wrong chain, bad signature, unknown service id, revoked, replayed nonce, stale', async () => {
      const before = await stored();
      const wallet = new Wallet();
      const sid = alice.client.serviceId;
      const wrongChain = await signPermit(wallet, { chainId: 'pulsar-3', serviceId: sid, name: 'prag-x' });
      expect(await post(svc.url, '/v1/documents', await upload(wrongChain))).toEqual({
        status: 401,
        code: 'permit_wrong_chain',
      });
      const good = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, name: 'prag-x' });
      const badSig = {
        ...good,
        signature: {
          ...good.signature,
          signature: Buffer.from(
            Buffer.from(good.signature.signature, 'base64').map((b, i) => (i === 7 ? b ^ 1 : b)),
          ).toString('base64'),
        },
      };
      expect(await post(svc.url, '/v1/documents', await upload(badSig))).toEqual({
        status: 401,
        code: 'permit_signature_invalid',
      });
      const otherService = await signPermit(wallet, {
        chainId: 'secret-4',
        serviceId: 'prag-someone-else',
        name: 'prag-x',
      });
      expect(await post(svc.url, '/v1/documents', await upload(otherService))).toEqual({
        status: 401,
        code: 'permit_wrong_service',
      });
      const body = await upload(good, 'fine text');
      expect((await post(svc.url, '/v1/search', body)).code).toBe('request_type_mismatch'); // an upload replayed at another endpoint
      const stale = await sealBytes(alice.client.service.x25519, REQUEST_TYPES.upload, 'x.txt', utf8ToBytes('x'), {
        ...freshMeta(good),
        ts: Date.now() - 3_600_000,
      });
      expect(await post(svc.url, '/v1/documents', stale)).toEqual({ status: 401, code: 'request_expired' });
      expect(await stored()).toEqual(before);

      // A search: accepted once, refused when the same envelope is replayed.
      const search = await sealBytes(
        alice.client.service.x25519,
        REQUEST_TYPES.search,
        '',
        utf8ToBytes('{"query":"passport"}'),
        freshMeta(good),
      );
      expect((await post(svc.url, '/v1/search', search)).status).toBe(200);
      expect(await post(svc.url, '/v1/search', search)).toEqual({ status: 409, code: 'request_replayed' });

      // Revocation by its owner takes effect on the next request.
      const admin = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, name: 'prag-admin' });
      await alice.client.revokePermit(admin, 'prag-x');
      await expect(alice.client.search(good, { query: 'passport' })).rejects.toMatchObject({
        status: 401,
        code: 'permit_revoked',
      });
      const other = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, name: 'prag-y' });
      expect((await alice.client.search(other, { query: 'passport' })).hits).toEqual([]);
    });

    test('malformed requests inside a valid envelope', async () => {
      const bad = await sealBytes(
        alice.client.service.x25519,
        REQUEST_TYPES.search,
        '',
        utf8ToBytes('{"query":"   "}'),
        freshMeta(alice.permit),
      );
      expect(await post(svc.url, '/v1/search', bad)).toEqual({ status: 400, code: 'request_invalid' });
      const noMeta = await sealBytes(
        alice.client.service.x25519,
        REQUEST_TYPES.search,
        '',
        utf8ToBytes('{"query":"x"}'),
        { ts: Date.now() },
      );
      expect(await post(svc.url, '/v1/search', noMeta)).toEqual({ status: 400, code: 'request_meta_invalid' });
      const pathName = await sealBytes(
        alice.client.service.x25519,
        REQUEST_TYPES.upload,
        '../../etc/passwd.txt',
        utf8ToBytes('x'),
        freshMeta(alice.permit),
      );
      expect(await post(svc.url, '/v1/documents', pathName)).toEqual({ status: 400, code: 'upload_name_invalid' });
      const exe = await sealBytes(
        alice.client.service.x25519,
        REQUEST_TYPES.upload,
        'tool.exe',
        utf8ToBytes('MZ'),
        freshMeta(alice.permit),
      );
      expect(await post(svc.url, '/v1/documents', exe)).toEqual({ status: 415, code: 'unsupported_format' });
      const res = await fetch(`${svc.url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(415);
      expect((await fetch(`${svc.url}/v1/attestation?nonce=zz`)).status).toBe(400);
    });
  });

  test('delete removes a document for its owner', async () => {
    const note = aliceDocs[0]!;
    expect(await alice.client.delete(alice.permit, note)).toEqual({ deleted: 1 });
    const { hits } = await alice.client.search(alice.permit, { query: 'penicillin allergy rash', k: 10 });
    expect(hits.map((h) => h.doc_id)).not.toContain(note);
  });
});

describe('restart and the master key', () => {
  test('same key: everything is back; wrong or missing key: a clear error at start and nothing destroyed', async () => {
    const dir = tempDir();
    try {
      let svc = await startTestService(dir.path);
      const user = await testUser(svc.url);
      await user.client.upload(user.permit, textUpload('keep.txt', 'The spare key is under the third flowerpot.'));
      const serviceId = user.client.serviceId;
      await svc.close();

      const wrong = join(dir.path, '..', `wrong-${randomBytes(4).toString('hex')}.key`);
      writeFileSync(wrong, randomBytes(32).toString('hex'));
      await expect(startTestService(dir.path, { masterKeyFile: wrong })).rejects.toMatchObject({
        code: 'master_key_mismatch',
      });
      await expect(startTestService(dir.path, { masterKeyFile: join(dir.path, 'nope.key') })).rejects.toMatchObject({
        code: 'master_key_missing',
      });
      renameSync(join(dir.path, 'master.key'), `${wrong}.moved`);
      await expect(startTestService(dir.path)).rejects.toMatchObject({ code: 'master_key_missing' });
      renameSync(`${wrong}.moved`, join(dir.path, 'master.key'));

      svc = await startTestService(dir.path);
      try {
        const again = await testUser(svc.url);
        expect(again.client.serviceId).toBe(serviceId); // keys derived from the master key survive restarts
        const permit = await signPermit(user.wallet, { chainId: 'secret-4', serviceId, name: 'prag-test' });
        const { hits } = await again.client.search(permit, { query: 'where is the spare key', k: 1 });
        expect(hits[0]?.text).toContain('third flowerpot');
      } finally {
        await svc.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
