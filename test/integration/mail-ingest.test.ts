/**
 * E-mail-aware ingest through the real engine and model: a reply's quoted text and a signature are kept with
 * the message but not indexed, every message of a thread names the thread on its hits, and the same message
 * in two folders (other bytes, same Message-ID and text) is stored once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bytesSource, openTestEngine, tempDir } from '../helpers/index.js';
import { must } from '../helpers/must.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const message = (headers: string[], body: string) =>
  [...headers, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\n');

const RENT = 'The landlord raised the rent to 1450 euros from the first of May.';
const FIRST = message(
  [
    'From: Alice Smith <alice@example.org>',
    'To: Me <me@example.org>',
    'Subject: Rent',
    'Date: Mon, 4 Mar 2024 10:12:00 +0000',
    'Message-ID: <m1@example.org>',
  ],
  `${RENT}\n\n-- \nAlice Smith\nTenants' Association, phone 555 0142`,
);
const REPLY = message(
  [
    'From: Me <me@example.org>',
    'To: Alice Smith <alice@example.org>',
    'Subject: Re: Rent',
    'Date: Tue, 5 Mar 2024 09:00:00 +0000',
    'Message-ID: <m2@example.org>',
    'In-Reply-To: <m1@example.org>',
    'References: <m1@example.org>',
  ],
  `I will ask the agency for a written notice before I pay anything.\n\nOn Mon, Mar 4, 2024 at 10:12 AM Alice Smith <alice@example.org> wrote:\n> ${RENT}\n> --\n> Alice Smith`,
);
const mbox = (...messages: string[]) =>
  messages.map((m) => `From someone@example.org Mon Mar  4 10:12:00 2024\n${m}`).join('\n');

describe('e-mail-aware ingest', () => {
  it('indexes own words, keeps quotes and signatures for reading, dedupes copies, names the thread', async () => {
    const dir = tempDir();
    const engine = await openTestEngine(dir.path);
    cleanups.push(dir.cleanup, () => engine.close());

    // The first message again, as another folder keeps it: other bytes, the same Message-ID and text.
    const copy = `X-Folder: Archive\nStatus: RO\n${FIRST}`;
    const report = await engine.ingest([bytesSource('inbox.mbox', mbox(FIRST, REPLY, copy))], { owner: 'me' });
    expect(report).toMatchObject({ documents: 2, skipped: 1, failed: [] });
    const again = await engine.ingest([bytesSource('sent.eml', copy)], { owner: 'me' });
    expect(again).toMatchObject({ documents: 0, skipped: 1 });

    const docs = engine.listDocuments('me');
    const first = must(
      docs.find((d) => d.title === 'Rent'),
      'the first message',
    );
    const reply = must(
      docs.find((d) => d.title === 'Re: Rent'),
      'the reply',
    );

    // The rent sentence is indexed once: in the message that wrote it, not in the reply that quotes it.
    const hits = await engine.search('me', { query: 'landlord raised the rent 1450 euros', k: 10, group: false });
    const withRent = hits.filter((h) => h.text.includes('1450'));
    expect(withRent.map((h) => h.doc_id)).toEqual([first.id]);
    expect(hits.some((h) => h.doc_id === reply.id)).toBe(true);
    for (const h of hits) {
      expect(h.text).not.toContain('555 0142'); // the signature is not indexed
      expect(h.thread).toBe('<m1@example.org>');
    }

    // The whole message is kept: the quote and the signature are there to read, marked aside.
    const opened = engine.openDocument('me', reply.id);
    if (!opened || opened === 'no_body') throw new Error('the reply has no body');
    expect(opened.sections.find((s) => s.aside === 'quote')?.text).toContain('1450 euros');
    const own = engine.openDocument('me', first.id);
    if (!own || own === 'no_body') throw new Error('the first message has no body');
    expect(own.sections.find((s) => s.aside === 'signature')?.text).toContain('555 0142');
  });
});
