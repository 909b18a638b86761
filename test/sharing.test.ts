/**
 * Sharing between users on the real service (loopback): grants by collection
 * and by document, expiry, revocation (also under concurrency), what a grantee
 * can and cannot do, the owner's access log, collections, and forget-me.
 */
import * as lancedb from '@lancedb/lancedb';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Wallet } from '../src/auth/secretjs.js';
import { signPermit } from '../src/client/identity.js';
import { tempDir } from './helpers/index.js';
import { findSecret } from './helpers/scan.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from './helpers/service.js';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}-SHARE`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sharing', () => {
  const dir = tempDir();
  let svc: TestService;
  let alice: TestUser; // owner
  let bob: TestUser; // her doctor
  let carol: TestUser; // someone else
  let cardio: string[];
  let taxes: string[];

  const grantsStored = () =>
    [alice, bob, carol].reduce(
      (n, u) => n + svc.service.engine.meta.grantsGiven(svc.service.ownerId(u.address)).length,
      0,
    );

  beforeAll(async () => {
    svc = await startTestService(dir.path);
    [alice, bob, carol] = await Promise.all([testUser(svc.url), testUser(svc.url), testUser(svc.url)]);
    cardio = (
      await alice.client.upload(
        alice.permit,
        textUpload(
          'echo.txt',
          `Echocardiogram: ejection fraction 55 percent, mild mitral regurgitation. ${CANARY}`,
          'cardiology',
        ),
      )
    ).doc_ids;
    taxes = (
      await alice.client.upload(
        alice.permit,
        textUpload('return.txt', 'Tax return 2026: refund of 1,240 euros expected in June.', 'taxes-2026'),
      )
    ).doc_ids;
    await bob.client.upload(
      bob.permit,
      textUpload('bob-notes.txt', 'Clinic rota: Tuesdays and Thursdays, cardiology ward.'),
    );
  });
  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  const bobSees = async (query = 'ejection fraction mitral regurgitation') =>
    (await bob.client.search(bob.permit, { query, k: 10 })).hits.filter((h) => h.owner === alice.address);

  test('a grant of a collection lets the grantee find its chunks, labelled with owner and collection, and nothing else of the owner', async () => {
    expect(await bobSees()).toEqual([]);
    await alice.client.grant(alice.permit, {
      with: bob.address,
      collection: 'cardiology',
      expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    const hits = await bobSees();
    expect(hits.map((h) => [h.doc_id, h.owner, h.collection])).toEqual([[cardio[0], alice.address, 'cardiology']]);
    expect(hits[0]!.text).toContain(CANARY);
    const taxHits = (await bob.client.search(bob.permit, { query: 'tax return refund euros', k: 10 })).hits;
    expect(taxHits.some((h) => h.owner === alice.address && h.collection === 'taxes-2026')).toBe(false);
    expect(
      (await carol.client.search(carol.permit, { query: 'ejection fraction', k: 10 })).hits.filter(
        (h) => h.owner === alice.address,
      ),
    ).toEqual([]);
    // Bob's own results are his, labelled as his.
    const own = (await bob.client.search(bob.permit, { query: 'clinic rota tuesdays', k: 10 })).hits.find(
      (h) => h.owner === bob.address,
    );
    expect(own?.collection).toBe('default');
  });

  test("a grantee cannot list the owner's documents or collections, re-share, or see the owner's other grants", async () => {
    await alice.client.grant(alice.permit, { with: carol.address, collection: 'taxes-2026' });
    expect((await bob.client.list(bob.permit)).documents.map((d) => d.title)).toEqual(['bob-notes.txt']);
    expect((await bob.client.collections(bob.permit)).collections.map((c) => c.name)).toEqual(['default']);
    await expect(bob.client.grant(bob.permit, { with: carol.address, collection: 'cardiology' })).rejects.toMatchObject(
      { status: 404, code: 'collection_not_found' },
    );
    await expect(bob.client.grant(bob.permit, { with: carol.address, doc_ids: cardio })).rejects.toMatchObject({
      status: 404,
      code: 'document_not_found',
    });
    const shares = await bob.client.shares(bob.permit);
    expect(shares.given).toEqual([]);
    expect(shares.received.map((g) => [g.with, g.collection, g.active])).toEqual([[alice.address, 'cardiology', true]]);
    const given = await alice.client.shares(alice.permit);
    expect(given.given.map((g) => [g.with, g.collection]).sort()).toEqual(
      [
        [bob.address, 'cardiology'],
        [carol.address, 'taxes-2026'],
      ].sort(),
    );
    await alice.client.revokeGrant(alice.permit, { with: carol.address });
  });

  test('forged, foreign and malformed grants → 4xx and nothing stored', async () => {
    const before = grantsStored();
    const mallory = new Wallet();
    const forged = await signPermit(mallory, {
      chainId: 'secret-4',
      serviceId: alice.client.serviceId,
      name: 'prag-test',
    });
    const asAlice = { ...forged, signature: { ...forged.signature, pub_key: alice.permit.signature.pub_key } };
    await expect(alice.client.grant(asAlice, { with: carol.address, collection: 'cardiology' })).rejects.toMatchObject({
      status: 401,
      code: 'permit_signature_invalid',
    });
    await expect(
      carol.client.grant(carol.permit, { with: mallory.address, collection: 'cardiology' }),
    ).rejects.toMatchObject({ status: 404, code: 'collection_not_found' });
    const badChecksum = `${bob.address.slice(0, -1)}${bob.address.endsWith('q') ? 'p' : 'q'}`;
    for (const bad of ['secret1notanaddress', 'cosmos1p0vgghl8rw4ukzm7geyy0f0tl29glxrtsz8r6t', badChecksum, '']) {
      await expect(alice.client.grant(alice.permit, { with: bad, collection: 'cardiology' })).rejects.toMatchObject({
        status: 400,
        code: 'grantee_invalid',
      });
    }
    await expect(
      alice.client.grant(alice.permit, {
        with: bob.address,
        collection: 'cardiology',
        expires_at: '2020-01-01T00:00:00Z',
      }),
    ).rejects.toMatchObject({ code: 'grant_expiry_invalid' });
    await expect(alice.client.grant(alice.permit, { with: bob.address })).rejects.toMatchObject({
      code: 'grant_scope_invalid',
    });
    expect(grantsStored()).toBe(before);
  });

  test('a document grant covers just those documents; an expired grant stops matching with no clean-up', async () => {
    await alice.client.grant(alice.permit, {
      with: carol.address,
      doc_ids: taxes,
      expires_at: new Date(Date.now() + 1500).toISOString(),
    });
    const seen = (await carol.client.search(carol.permit, { query: 'tax return refund', k: 10 })).hits.filter(
      (h) => h.owner === alice.address,
    );
    expect(seen.map((h) => h.doc_id)).toEqual(taxes);
    await sleep(1600);
    expect(
      (await carol.client.search(carol.permit, { query: 'tax return refund', k: 10 })).hits.filter(
        (h) => h.owner === alice.address,
      ),
    ).toEqual([]);
    expect((await carol.client.shares(carol.permit)).received.map((g) => g.active)).toEqual([false]);
  });

  test('the owner reads who retrieved what; nobody else reads her log', async () => {
    const { entries } = await alice.client.audit(alice.permit);
    const bobs = entries.filter((e) => e.requester === bob.address);
    expect(bobs.length).toBeGreaterThan(0);
    expect(bobs[0]).toMatchObject({ permit_name: 'prag-test', endpoint: 'search', doc_ids: [cardio[0]] });
    expect(entries.some((e) => e.requester === carol.address && e.doc_ids.includes(taxes[0]!))).toBe(true);
    const bobLog = (await bob.client.audit(bob.permit)).entries;
    expect(bobLog.every((e) => e.requester === bob.address)).toBe(true); // only retrievals of Bob's own chunks
  });

  test('collections: create, rename (grants follow), move documents', async () => {
    await alice.client.createCollection(alice.permit, 'family');
    await expect(alice.client.createCollection(alice.permit, 'family')).rejects.toMatchObject({
      status: 409,
      code: 'collection_exists',
    });
    await alice.client.renameCollection(alice.permit, 'cardiology', 'heart');
    expect((await bobSees())[0]?.collection).toBe('heart');
    expect((await alice.client.moveDocuments(alice.permit, cardio, 'family')).moved).toBe(1);
    expect(await bobSees()).toEqual([]); // the grant was for the collection, the document left it
    const names = (await alice.client.collections(alice.permit)).collections.map((c) => [c.name, c.documents]);
    expect(names).toEqual([
      ['heart', 0],
      ['taxes-2026', 1],
      ['family', 1],
    ]);
    await alice.client.moveDocuments(alice.permit, cardio, 'heart');
    expect((await bobSees()).map((h) => h.doc_id)).toEqual(cardio);
    await expect(bob.client.moveDocuments(bob.permit, cardio, 'mine')).rejects.toMatchObject({
      status: 404,
      code: 'document_not_found',
    });
  });

  test('revocation is immediate under concurrency: no search started after the revoke was answered returns the revoked chunks', async () => {
    const results: Array<{ started: number; leaked: boolean }> = [];
    let revokedAt = Infinity;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const started = performance.now();
        const hits = await bobSees();
        results.push({ started, leaked: hits.length > 0 });
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await sleep(300);
    await alice.client.revokeGrant(alice.permit, { with: bob.address, collection: 'heart' });
    revokedAt = performance.now();
    await sleep(500);
    stop = true;
    await Promise.all(loops);
    expect(results.filter((r) => r.started < revokedAt - 50 && r.leaked).length).toBeGreaterThan(0); // the grant was live before
    expect(results.filter((r) => r.started > revokedAt && r.leaked)).toEqual([]);
    expect(results.filter((r) => r.started > revokedAt).length).toBeGreaterThan(4);
  });

  test('forget-me deletes everything of the user, grants both ways, and shreds the data key', async () => {
    await alice.client.grant(alice.permit, { with: bob.address, collection: 'heart' });
    await bob.client.grant(bob.permit, { with: alice.address, collection: 'default' });
    const meta = svc.service.engine.meta;
    const aliceId = svc.service.ownerId(alice.address);
    const wrapped = meta.wrappedKey(aliceId)!;
    const table = await (await lancedb.connect(join(dir.path, 'vectors'))).openTable('chunks');
    const sealedTexts = (await table.query().where(`owner = '${aliceId}'`).select(['text']).toArray()).map(
      (r: { text: string }) => r.text,
    );
    table.close();
    expect(sealedTexts.length).toBeGreaterThan(0);
    await expect(alice.client.forgetMe(alice.permit, bob.address)).rejects.toMatchObject({
      status: 400,
      code: 'confirmation_mismatch',
    });

    expect(await alice.client.forgetMe(alice.permit, alice.address)).toMatchObject({
      forgotten: alice.address,
      documents: 2,
    });
    expect(
      (await alice.client.search(alice.permit, { query: `ejection fraction ${CANARY}`, k: 20 })).hits.filter(
        (h) => h.owner === alice.address,
      ),
    ).toEqual([]);
    expect((await alice.client.list(alice.permit)).documents).toEqual([]);
    expect(await bobSees()).toEqual([]);
    expect(await bob.client.shares(bob.permit)).toEqual({ given: [], received: [] });
    expect(meta.wrappedKey(aliceId)).not.toBe(wrapped);
    // Nothing of hers is left in the files: not her sealed chunks, not her wrapped key, not the canary.
    for (const secret of [wrapped, ...sealedTexts.slice(0, 5), CANARY])
      expect(findSecret(dir.path, secret)).toEqual([]);
    // Bob's own data is untouched.
    expect((await bob.client.search(bob.permit, { query: 'clinic rota', k: 1 })).hits[0]?.owner).toBe(bob.address);
  });
});
