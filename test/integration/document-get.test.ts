/**
 * Opening what was cited: `POST /v1/documents/get` on the real service. A
 * cited chunk opens in its document's context (pages of a PDF, sections),
 * the kept original comes back byte for byte, a grantee reads only what a
 * live grant covers, everyone else gets the same answer as for a document
 * that does not exist, and the owner's access log records every read.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROUTES } from '../../schemas/routes.js';
import { ServiceError } from '../../src/client/session.js';
import { fixture, tempDir } from '../helpers/index.js';
import { makePdf } from '../helpers/make-docs.js';
import { must } from '../helpers/must.js';
import { findSecret } from '../helpers/scan.js';
import { dropDocumentBody } from '../helpers/state.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}-OPEN`;

describe('POST /v1/documents/get', () => {
  const dir = tempDir();
  let svc: TestService;
  let alice: TestUser;
  let bob: TestUser;
  let pdf: Uint8Array;
  let pdfId: string;
  let noteId: string;

  const refused = async (user: TestUser, body: Parameters<TestUser['client']['call']>[2]) => {
    const e = await user.client.call(ROUTES.documentGet, user.permit, body as never).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ServiceError);
    return e as ServiceError;
  };

  beforeAll(async () => {
    svc = await startTestService(dir.path);
    [alice, bob] = await Promise.all([testUser(svc.url), testUser(svc.url)]);
    pdf = await makePdf(
      [
        ['Cardiology clinic letter.', 'Referral for palpitations.'],
        ['Holter monitor: paroxysmal atrial fibrillation, 3 episodes.', `Plan: apixaban 5 mg twice daily. ${CANARY}`],
      ],
      'Clinic letter',
    );
    [pdfId] = (
      await alice.client.upload(alice.permit, {
        name: 'letter.pdf',
        size: pdf.length,
        bytes: pdf,
        collection: 'medical',
      })
    ).doc_ids as [string];
    [noteId] = (
      await alice.client.upload(alice.permit, textUpload('note.txt', 'Landlord: rent rises to 1,450 in April.', 'home'))
    ).doc_ids as [string];
  });
  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  test('a cited chunk opens in its page, with the passage located in the section text', async () => {
    const { hits } = await alice.client.call(ROUTES.search, alice.permit, { query: 'apixaban twice daily', k: 5 });
    const hit = must(
      hits.find((h) => h.doc_id === pdfId),
      'a hit in the PDF',
    );
    const doc = await alice.client.call(ROUTES.documentGet, alice.permit, { doc_id: pdfId, chunk_id: hit.chunk_id });
    expect(doc).toMatchObject({ title: 'Clinic letter', format: 'pdf', owner: alice.address, shared: false });
    expect(doc.collection).toBe('medical');
    expect(doc.pages).toBe(2);
    const chunk = must(doc.chunk, 'the located chunk');
    expect(chunk.page).toBe(2);
    const section = must(
      doc.sections.find((s) => s.index === chunk.section),
      "the chunk's section",
    );
    expect(section.text.slice(chunk.char_start, chunk.char_end)).toBe(hit.text);
    expect(section.text).toContain('apixaban');

    const page1 = await alice.client.call(ROUTES.documentGet, alice.permit, { doc_id: pdfId, page: 1 });
    expect(page1.sections.map((s) => s.page)).toEqual(page1.sections.map(() => 1));
    expect(page1.sections.map((s) => s.text).join(' ')).toContain('palpitations');
    expect(page1.sections.map((s) => s.text).join(' ')).not.toContain('apixaban');
    expect(page1.original).toBeUndefined();
  });

  test('the original comes back byte for byte when asked for', async () => {
    const doc = await alice.client.call(ROUTES.documentGet, alice.permit, { doc_id: pdfId, original: true });
    expect(doc.original_kept).toBe(true);
    expect(Buffer.from(must(doc.original, 'the original'), 'base64').equals(Buffer.from(pdf))).toBe(true);
  });

  test('a streamed format (C-CDA XML) keeps its original too', async () => {
    const xml = readFileSync(fixture('medical', 'ccda_CCD_R2.1_HL7_example.xml'));
    const { doc_ids } = await alice.client.upload(alice.permit, { name: 'ccd.xml', size: xml.length, bytes: xml });
    const doc = await alice.client.call(ROUTES.documentGet, alice.permit, {
      doc_id: must(doc_ids[0], 'the C-CDA document'),
      original: true,
    });
    expect(doc.format).toBe('ccda');
    expect(Buffer.from(must(doc.original, 'the original'), 'base64').equals(xml)).toBe(true);
  });

  test('a chunk of another document is refused, not located elsewhere', async () => {
    const { hits } = await alice.client.call(ROUTES.search, alice.permit, { query: 'rent landlord', k: 5 });
    const noteChunk = must(
      hits.find((h) => h.doc_id === noteId),
      'a hit in the note',
    ).chunk_id;
    expect((await refused(alice, { doc_id: pdfId, chunk_id: noteChunk })).code).toBe('document_not_found');
  });

  test("another user's document answers exactly like one that does not exist, until a grant is accepted", async () => {
    const stranger = await refused(bob, { doc_id: pdfId });
    const missing = await refused(bob, { doc_id: 'f'.repeat(64) });
    expect([stranger.status, stranger.code, stranger.message]).toEqual([missing.status, missing.code, missing.message]);

    const { grant_id } = await alice.client.call(ROUTES.shareGrant, alice.permit, {
      with: bob.address,
      collection: 'medical',
    });
    expect((await refused(bob, { doc_id: pdfId })).code).toBe('document_not_found'); // pending: nothing yet
    await bob.client.call(ROUTES.shareAccept, bob.permit, { grant_id });
    const shared = await bob.client.call(ROUTES.documentGet, bob.permit, { doc_id: pdfId });
    expect(shared).toMatchObject({ owner: alice.address, shared: true, collection: 'medical' });
    expect((await refused(bob, { doc_id: noteId })).code).toBe('document_not_found'); // another collection

    const { entries } = await alice.client.call(ROUTES.audit, alice.permit, {});
    expect(entries.some((e) => e.requester === bob.address && e.endpoint === 'documents/get')).toBe(true);

    await alice.client.call(ROUTES.shareRevoke, alice.permit, { with: bob.address, collection: 'medical' });
    expect((await refused(bob, { doc_id: pdfId })).code).toBe('document_not_found');
  });

  test('bad requests are refused with precise codes', async () => {
    expect((await refused(alice, { doc_id: 'not-an-id' })).status).toBe(400);
    expect((await refused(alice, { doc_id: pdfId, page: 0 })).status).toBe(400);
    expect((await refused(alice, { doc_id: pdfId, chunk_id: 'xyz' })).status).toBe(400);
  });

  test('a document stored before bodies were kept says so, to its owner only', async () => {
    const { doc_ids } = await alice.client.upload(
      alice.permit,
      textUpload('old.txt', 'Vaccination record: tetanus 2019.'),
    );
    const [oldId] = doc_ids as [string];
    dropDocumentBody(dir.path, svc.service.ownerId(alice.address), oldId);
    expect((await refused(alice, { doc_id: oldId })).code).toBe('document_text_unavailable');
    expect((await refused(bob, { doc_id: oldId })).code).toBe('document_not_found');
  });

  test('bodies and originals are sealed at rest and go with the document', async () => {
    expect(findSecret(dir.path, CANARY)).toEqual([]);
    await alice.client.call(ROUTES.delete, alice.permit, { doc_id: pdfId });
    expect((await refused(alice, { doc_id: pdfId })).code).toBe('document_not_found');
    const left = svc.service.engine.stores.documents.body(svc.service.ownerId(alice.address), pdfId, true);
    expect(left).toBeUndefined();
  });
});
