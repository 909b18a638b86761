/**
 * The confidential service end to end, on loopback: what a user, another
 * user, and an attacker on the wire or on the host would see.
 */
import { randomBytes } from 'node:crypto';
import { ROUTES } from '../../schemas/routes.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ENVELOPE_MEDIA_TYPE } from '../../schemas/api.js';
import type { Credentials } from '../../src/client/credentials.js';
import { sealRaw } from '../helpers/raw.js';
import { Wallet } from '../../src/auth/secretjs.js';
import { signPermit } from '../../src/client/credentials.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '../../src/crypto/bytes.js';
import { keyId } from '../../src/crypto/envelope.js';
import { SEGMENT_BYTES, TAG_BYTES } from '../../schemas/envelope.js';
import { errorBody } from '../../schemas/errors.js';
import { openTestEngine, tempDir } from '../helpers/index.js';
import { findInText, findSecret } from '../helpers/scan.js';
import { flipBits, must } from '../helpers/must.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';
import { chunkCount, keywordColumns, ownerKeyCount } from '../helpers/state.js';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}-ZEBRA`;
const MAIL = (i: number, body: string) =>
  `From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: Dr Who <dr@clinic.example>\nTo: patient@example.org\nSubject: Visit ${i}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\n${body}\n\n`;

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

describe('confidential service', () => {
  const dir = tempDir();
  let svc: TestService;
  let alice: TestUser;
  let bob: TestUser;
  let aliceDocs: string[] = [];

  const stored = async () => ({
    chunks: chunkCount(svc.service.engine),
    rows: await svc.service.engine.vectors.count(),
    keys: ownerKeyCount(svc.service.engine),
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
    const { hits } = await alice.client.call(ROUTES.search, alice.permit, { query: 'penicillin allergy rash', k: 3 });
    expect(hits[0]).toMatchObject({ title: 'allergies.txt', source: 'allergies.txt', collection: 'medical' });
    expect(hits[0]?.text).toContain(CANARY);
    const byKeyword = await alice.client.call(ROUTES.search, alice.permit, {
      query: 'ferritin',
      k: 5,
      filters: { collections: ['mail'], from: 'dr@clinic.example' },
    });
    expect(byKeyword.hits.map((h) => h.title).sort()).toEqual(['Visit 0', 'Visit 1', 'Visit 2']);
    const { documents } = await alice.client.call(ROUTES.list, alice.permit, {});
    expect(documents.map((d) => d.doc_id).sort()).toEqual([...aliceDocs].sort());
  });

  test('canary: nothing under the data dir and nothing in the logs holds it, plain, UTF-16 or base64', async () => {
    await alice.client.call(ROUTES.search, alice.permit, { query: `where is ${CANARY}`, k: 5 });
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

  test('blind keyword index: a chunk stores its distinct tokens sorted, so word order and repeats are not kept', async () => {
    const carol = await testUser(svc.url);
    const texts = [
      'Ferritin low; iron tablets daily, ferritin recheck in May.',
      'May recheck in ferritin: daily tablets iron, low ferritin.',
      'Low ferritin, ferritin, ferritin: iron tablets daily, recheck May.',
    ];
    const ids: string[] = [];
    for (const text of texts)
      ids.push(...(await carol.client.upload(carol.permit, textUpload('labs.txt', text))).doc_ids);
    expect(new Set(ids).size).toBe(3);
    const columns = await keywordColumns(svc.service.engine, svc.service.ownerId(carol.address));
    const stored = ids.map((id) => must(columns.get(id), 'the chunk rows of a document'));
    for (const rows of stored) expect(rows).toHaveLength(1);
    const [first, ...others] = stored.map((rows) => must(rows[0], 'a keyword column'));
    for (const other of others) expect(other).toBe(first);
    const tokens = must(first, 'the keyword column').split(' ');
    expect(tokens).toHaveLength(9); // labs, txt (the title), ferritin, low, iron, tablets, daily, recheck, may: once each
    expect(tokens).toEqual([...new Set(tokens)].sort());
    expect(tokens.every((t) => /^[0-9a-f]{24}$/.test(t))).toBe(true); // keyed hashes, not words
    const { hits } = await carol.client.call(ROUTES.search, carol.permit, { query: 'ferritin recheck', k: 5 });
    expect(new Set(hits.map((h) => h.doc_id))).toEqual(new Set(ids));
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
    const { hits } = await bob.client.call(ROUTES.search, bob.permit, {
      query: `penicillin allergy ${CANARY} ferritin`,
      k: 50,
    });
    expect(hits.map((h) => h.title)).toEqual(['bob.txt']);
    expect(JSON.stringify(hits)).not.toContain(CANARY);
    const { documents } = await bob.client.call(ROUTES.list, bob.permit, {});
    expect(documents.map((d) => d.title)).toEqual(['bob.txt']);
    await expect(
      bob.client.call(ROUTES.delete, bob.permit, { doc_id: must(aliceDocs[0], "alice's first document") }),
    ).rejects.toMatchObject({
      status: 404,
      code: 'document_not_found',
    });
    expect((await alice.client.call(ROUTES.list, alice.permit, {})).documents).toHaveLength(4);
  });

  describe('refused requests get a precise 4xx and store nothing', () => {
    const upload = (credentials: Credentials, text = `secret ${CANARY}`, extra: Record<string, unknown> = {}) =>
      sealRaw(alice.client.service.x25519, credentials, {
        type: ROUTES.upload.type,
        name: 'evil.txt',
        payload: utf8ToBytes(text),
        extra,
      });

    test.each([
      [
        'flipped header byte',
        (b: Uint8Array) => {
          const c = b.slice();
          flipBits(c, 70);
          return c;
        },
        'envelope_header_invalid',
      ],
      [
        'flipped payload byte',
        (b: Uint8Array) => {
          const c = b.slice();
          flipBits(c, c.length - 3);
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
      const body = await sealRaw(otherKey, alice.permit, {
        type: ROUTES.upload.type,
        name: 'evil.txt',
        payload: utf8ToBytes(CANARY),
      });
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
      const body = await sealRaw(alice.client.service.x25519, alice.permit, {
        type: ROUTES.upload.type,
        name: 'big.mbox',
        payload: utf8ToBytes(mbox),
      });
      expect(body.length).toBeGreaterThan(2 * SEGMENT_BYTES);
      const tampered = body.slice();
      flipBits(tampered, tampered.length - 2);
      const vectors = svc.service.engine.vectors;
      const add = vectors.add.bind(vectors);
      let written = 0;
      vectors.add = (rows) => {
        written += rows.length;
        return add(rows);
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
      const { hits } = await alice.client.call(ROUTES.search, alice.permit, { query: 'invoices', k: 10 });
      expect(hits.filter((h) => h.text.includes('invoices'))).toEqual([]);
    });

    test('permit and freshness failures: wrong chain, bad signature, unknown service id, revoked, replayed nonce, stale', async () => {
      const before = await stored();
      const wallet = new Wallet();
      const sid = alice.client.serviceId;
      const wrongChain = await signPermit(wallet, { chainId: 'pulsar-3', serviceId: sid, device: 'x' });
      expect(await post(svc.url, '/v1/documents', await upload(wrongChain))).toEqual({
        status: 401,
        code: 'permit_wrong_chain',
      });
      const good = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, device: 'x' });
      const sig = Buffer.from(good.permit.signature.signature, 'base64');
      const badSig = {
        ...good,
        permit: {
          ...good.permit,
          signature: {
            ...good.permit.signature,
            signature: Buffer.from(sig.map((b, i) => (i === 7 ? b ^ 1 : b))).toString('base64'),
          },
        },
      };
      expect(await post(svc.url, '/v1/documents', await upload(badSig))).toEqual({
        status: 401,
        code: 'permit_signature_invalid',
      });
      const otherService = await signPermit(wallet, {
        chainId: 'secret-4',
        serviceId: 'prag-0123456789abcdef',
        device: 'x',
      });
      expect(await post(svc.url, '/v1/documents', await upload(otherService))).toEqual({
        status: 401,
        code: 'permit_wrong_service',
      });
      const body = await upload(good, 'fine text');
      expect((await post(svc.url, '/v1/search', body)).code).toBe('request_type_mismatch'); // an upload replayed at another endpoint
      const stale = await sealRaw(alice.client.service.x25519, good, {
        type: ROUTES.upload.type,
        name: 'x.txt',
        payload: utf8ToBytes('x'),
        ts: Date.now() - 3_600_000,
      });
      expect(await post(svc.url, '/v1/documents', stale)).toEqual({ status: 401, code: 'request_expired' });
      expect(await stored()).toEqual(before);

      // A search: accepted once, refused when the same envelope is replayed.
      const search = await sealRaw(alice.client.service.x25519, good, {
        type: ROUTES.search.type,
        name: '',
        payload: utf8ToBytes('{"query":"passport"}'),
      });
      expect((await post(svc.url, '/v1/search', search)).status).toBe(200);
      expect(await post(svc.url, '/v1/search', search)).toEqual({ status: 409, code: 'request_replayed' });

      // Revocation by its owner takes effect on the next request.
      const admin = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, device: 'admin' });
      await alice.client.call(ROUTES.revokePermit, admin, { permit_name: good.permit.params.permit_name });
      await expect(alice.client.call(ROUTES.search, good, { query: 'passport' })).rejects.toMatchObject({
        status: 401,
        code: 'permit_revoked',
      });
      const other = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, device: 'y' });
      expect((await alice.client.call(ROUTES.search, other, { query: 'passport' })).hits).toEqual([]);
      // Revoking a device ends every permit signed for it, and only those.
      const phone = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, device: 'phone' });
      const phoneAgain = await signPermit(wallet, { chainId: 'secret-4', serviceId: sid, device: 'phone' });
      await alice.client.call(ROUTES.revokePermit, admin, { device: 'phone' });
      for (const revoked of [phone, phoneAgain])
        await expect(alice.client.call(ROUTES.search, revoked, { query: 'passport' })).rejects.toMatchObject({
          code: 'permit_revoked',
        });
      expect((await alice.client.call(ROUTES.search, other, { query: 'passport' })).hits).toEqual([]);
    });

    test('a permit is no bearer token: without its session key, expired, or for a contract, it opens nothing', async () => {
      const before = await stored();
      const x25519 = alice.client.service.x25519;
      const search = { type: ROUTES.search.type, payload: utf8ToBytes('{"query":"passport"}') };
      // A look-alike server (or a log) that collected alice's permit, but not her session key.
      const thief = { permit: alice.permit.permit, sessionKey: ed25519.utils.randomSecretKey() };
      expect(await post(svc.url, '/v1/search', await sealRaw(x25519, thief, search))).toEqual({
        status: 401,
        code: 'request_signature_invalid',
      });
      // Her signed request with its signature moved to another request (another nonce).
      const genuine = await sealRaw(x25519, alice.permit, search);
      const stolenSig = await sealRaw(x25519, thief, {
        ...search,
        override: { sig: bytesToHex(new Uint8Array(64)) },
      });
      expect(await post(svc.url, '/v1/search', stolenSig)).toEqual({ status: 401, code: 'request_signature_invalid' });
      expect(
        await post(
          svc.url,
          '/v1/search',
          await sealRaw(x25519, alice.permit, { ...search, override: { sig: undefined } }),
        ),
      ).toEqual({
        status: 400,
        code: 'request_meta_invalid',
      });
      expect((await post(svc.url, '/v1/search', genuine)).status).toBe(200);
      // Nor does a thief learn whether the permit still lives: liveness is checked only after possession.
      await alice.client.call(ROUTES.revokePermit, alice.permit, { device: 'thief-check' });
      const revokedDevice = await signPermit(alice.wallet, {
        chainId: 'secret-4',
        serviceId: alice.client.serviceId,
        device: 'thief-check',
      });
      expect(
        await post(
          svc.url,
          '/v1/search',
          await sealRaw(x25519, { ...revokedDevice, sessionKey: thief.sessionKey }, search),
        ),
      ).toEqual({ status: 401, code: 'request_signature_invalid' });
      // An expired permit, and one whose lifetime is longer than the service accepts.
      const old = await signPermit(alice.wallet, {
        chainId: 'secret-4',
        serviceId: alice.client.serviceId,
        device: 'old',
        lifetimeS: 60,
        now: Date.now() - 3_600_000,
      });
      await expect(alice.client.call(ROUTES.search, old, { query: 'passport' })).rejects.toMatchObject({
        status: 401,
        code: 'permit_expired',
      });
      const forever = await signPermit(alice.wallet, {
        chainId: 'secret-4',
        serviceId: alice.client.serviceId,
        device: 'forever',
        lifetimeS: 10 * 365 * 86_400,
      });
      await expect(alice.client.call(ROUTES.search, forever, { query: 'passport' })).rejects.toMatchObject({
        code: 'permit_name_invalid',
      });
      // A permit asked for a token contract's address is refused here (and PRAG's permits fail there: permits.test).
      const forContract = await signPermit(alice.wallet, {
        chainId: 'secret-4',
        serviceId: 'secret1k0jntykt7e4g3y88ltc60czgjuqdy4c9e8fzek',
        device: 'x',
      });
      await expect(alice.client.call(ROUTES.search, forContract, { query: 'passport' })).rejects.toMatchObject({
        code: 'permit_wrong_service',
      });
      expect(await stored()).toEqual(before);
    });

    test('malformed requests inside a valid envelope', async () => {
      const bad = await sealRaw(alice.client.service.x25519, alice.permit, {
        type: ROUTES.search.type,
        name: '',
        payload: utf8ToBytes('{"query":"   "}'),
      });
      expect(await post(svc.url, '/v1/search', bad)).toEqual({ status: 400, code: 'request_invalid' });
      const noMeta = await sealRaw(alice.client.service.x25519, alice.permit, {
        type: ROUTES.search.type,
        payload: utf8ToBytes('{"query":"x"}'),
        override: { permit: undefined },
      });
      expect(await post(svc.url, '/v1/search', noMeta)).toEqual({ status: 400, code: 'request_meta_invalid' });
      const pathName = await sealRaw(alice.client.service.x25519, alice.permit, {
        type: ROUTES.upload.type,
        name: '../../etc/passwd.txt',
        payload: utf8ToBytes('x'),
      });
      expect(await post(svc.url, '/v1/documents', pathName)).toEqual({ status: 400, code: 'upload_name_invalid' });
      const exe = await sealRaw(alice.client.service.x25519, alice.permit, {
        type: ROUTES.upload.type,
        name: 'tool.exe',
        payload: utf8ToBytes('MZ'),
      });
      expect(await post(svc.url, '/v1/documents', exe)).toEqual({ status: 415, code: 'unsupported_format' });
      const res = await fetch(`${svc.url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(415);
      expect((await fetch(`${svc.url}/v1/attestation?nonce=zz`)).status).toBe(400);
    });

    test("an error body is its code and that code's fixed message: nothing the sealed request held is echoed", async () => {
      const refusal = async (path: string, sealed: Uint8Array) => {
        const res = await fetch(`${svc.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': ENVELOPE_MEDIA_TYPE },
          body: sealed as Uint8Array<ArrayBuffer>,
        });
        return { status: res.status, body: await res.text() };
      };
      const name = 'HIV_positive_results_John_Doe.exe';
      const exe = await sealRaw(alice.client.service.x25519, alice.permit, {
        type: ROUTES.upload.type,
        name,
        payload: utf8ToBytes('MZ'),
      });
      const format = await refusal('/v1/documents', exe);
      expect(format.status).toBe(415);
      expect(JSON.parse(format.body)).toEqual(errorBody('unsupported_format'));
      for (const part of ['HIV', 'John_Doe', 'exe']) expect(format.body).not.toContain(part);
      const wrongChain = await signPermit(new Wallet(), {
        chainId: 'pulsar-3',
        serviceId: alice.client.serviceId,
        device: 'x',
      });
      const chain = await refusal('/v1/documents', await upload(wrongChain));
      expect(chain.status).toBe(401);
      expect(JSON.parse(chain.body)).toEqual(errorBody('permit_wrong_chain'));
      expect(chain.body).not.toContain('pulsar');
      for (const secret of ['HIV_positive', 'John_Doe', 'pulsar-3'])
        expect(findInText(svc.logs.join(''), secret)).toEqual([]);
    });
  });

  test('delete removes a document for its owner', async () => {
    const note = must(aliceDocs[0], "alice's first document");
    expect(await alice.client.call(ROUTES.delete, alice.permit, { doc_id: note })).toEqual({ deleted: 1 });
    const { hits } = await alice.client.call(ROUTES.search, alice.permit, { query: 'penicillin allergy rash', k: 10 });
    expect(hits.map((h) => h.doc_id)).not.toContain(note);
  });
});
