/**
 * Questions as the service reads them: a short chat follow-up is rewritten by the configured LLM (the request
 * goes to the worker, its answer is what is retrieved for, and it is never logged), or joined to the question
 * before it without an LLM; dates, senders and kinds in a question become filters the reply names, with an
 * undo flag and a fallback when they match nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChatFrame, ChatRequest } from '../../schemas/chat.js';
import { ROUTES } from '../../schemas/routes.js';
import { tempDir } from '../helpers/index.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { must } from '../helpers/must.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';

async function frames(user: TestUser, request: ChatRequest): Promise<ChatFrame[]> {
  const { frames: stream } = await user.client.chat(user.permit, request);
  const out: ChatFrame[] = [];
  for await (const f of stream) out.push(f);
  return out;
}

const GARDEN = 'The tomatoes in the garden need watering every second day in July.';
const HEART = 'Cardiology letter. Metoprolol 47 mg twice daily was started for atrial fibrillation.';
const FOLLOW_UP: ChatRequest['messages'] = [
  { role: 'user', content: 'Which medication was started for atrial fibrillation?' },
  { role: 'assistant', content: 'Metoprolol [1].' },
  { role: 'user', content: 'and how often?' },
];

const mail = (from: string, date: string, subject: string, body: string) =>
  [`From: ${from}`, 'To: me@example.org', `Date: ${date}`, `Subject: ${subject}`, '', body, ''].join('\n');

/** Uploads both notes; returns the heart note's document id. */
async function upload(user: TestUser): Promise<string> {
  await user.client.upload(user.permit, textUpload('garden.txt', GARDEN));
  const heart = await user.client.upload(user.permit, textUpload('heart.txt', HEART));
  return must(heart.doc_ids[0], 'the heart note');
}

describe('with an LLM: follow-ups rewritten by the worker', () => {
  const dir = tempDir();
  let fake: FakeLlm;
  let svc: TestService;
  let user: TestUser;

  beforeAll(async () => {
    fake = await startFakeLlm();
    svc = await startTestService(
      dir.path,
      {},
      { PRAG_LLM: 'openai', PRAG_LLM_URL: fake.url, PRAG_LLM_MODEL: 'fake-model', PRAG_LLM_ATTESTATION: 'off' },
    );
    user = await testUser(svc.url);
    await upload(user);
  }, 120_000);
  afterAll(async () => {
    await svc.close();
    await fake.close();
    dir.cleanup();
  });

  test("the worker's rewrite is what is retrieved for, and it is not logged", async () => {
    // The worker rewrites the follow-up into a question about the garden: only retrieval by that rewrite finds it.
    const rewrite = 'How often do the tomatoes need watering in July?';
    fake.set({ tokens: [rewrite] });
    const before = fake.requests.length;
    const out = await frames(user, { messages: FOLLOW_UP, k: 1 });
    expect(out.at(-1)?.type).toBe('final');
    const [asked, answered] = fake.requests.slice(before);
    const rewriteRequest = must(asked, 'the rewrite request').body.messages ?? [];
    expect(rewriteRequest[0]?.content).toMatch(/standalone question/);
    expect(rewriteRequest.map((m) => m.content).join('\n')).toContain('and how often?');
    const prompt = (must(answered, 'the answer request').body.messages ?? []).map((m) => m.content).join('\n');
    expect(prompt).toContain('tomatoes in the garden');
    expect(prompt).not.toContain('Metoprolol 47 mg');
    expect(svc.logs.join('\n')).not.toContain(rewrite);
  });

  test('a full question is not rewritten', async () => {
    fake.set({ tokens: ['Metoprolol [1].'] });
    const before = fake.requests.length;
    await frames(user, {
      messages: [{ role: 'user', content: 'Which medication was started for atrial fibrillation?' }],
    });
    expect(fake.requests.length - before).toBe(1);
  });
});

describe('without an LLM', () => {
  const dir = tempDir();
  let svc: TestService;
  let user: TestUser;
  let heart: string;

  beforeAll(async () => {
    svc = await startTestService(dir.path);
    user = await testUser(svc.url);
    heart = await upload(user);
    const mbox = [
      mail(
        'City Pharmacy <refills@citypharmacy.example>',
        'Mon, 4 Mar 2024 10:00:00 +0000',
        'Refill',
        'Your refill of metoprolol is ready.',
      ),
      mail(
        'Alice Smith <alice@example.org>',
        'Tue, 9 Jul 2024 10:00:00 +0000',
        'Garden',
        'Your tomatoes look thirsty; water them.',
      ),
    ]
      .map((m) => `From x@example.org Mon Mar  4 10:00:00 2024\n${m}`)
      .join('\n');
    await user.client.upload(user.permit, textUpload('mail.mbox', mbox));
  }, 120_000);
  afterAll(async () => {
    await svc.close();
    dir.cleanup();
  });

  test('a follow-up is joined to the question before it', async () => {
    // "and how often?" alone would find the garden note (watering "every second day"); joined, the heart note.
    const since = new Date().toISOString();
    await frames(user, { messages: FOLLOW_UP, k: 1, understand: false });
    const { entries } = await user.client.call(ROUTES.audit, user.permit, { since });
    // The access log lists the documents retrieved in rank order: the heart note first.
    expect(entries.filter((e) => e.endpoint === 'chat').map((e) => e.doc_ids[0])).toEqual([heart]);
    // The control: the follow-up alone ranks something else first.
    const alone = new Date().toISOString();
    await frames(user, { messages: [{ role: 'user', content: 'and how often?' }], k: 1, understand: false });
    const control = await user.client.call(ROUTES.audit, user.permit, { since: alone });
    expect(control.entries.filter((e) => e.endpoint === 'chat').map((e) => e.doc_ids[0])).not.toEqual([heart]);
  });

  test('search: a sender and a date become filters, named in the reply, undone by understand: false', async () => {
    const search = (body: Parameters<typeof user.client.call<typeof ROUTES.search>>[2]) =>
      user.client.call(ROUTES.search, user.permit, body);
    const read = await search({ query: 'mail from the pharmacy in March 2024 about metoprolol', k: 5 });
    expect(read.understood).toMatchObject({
      filters: { from: 'refills@citypharmacy.example', dateFrom: '2024-03-01', dateTo: '2024-03-31', formats: ['eml'] },
      dropped: false,
    });
    expect(read.hits.map((h) => h.title)).toEqual(['Refill']);
    const literal = await search({
      query: 'mail from the pharmacy in March 2024 about metoprolol',
      k: 5,
      understand: false,
    });
    expect(literal.understood).toBeUndefined();
    expect(literal.hits.length).toBeGreaterThan(1);
  });

  test('filters that match nothing fall back to the whole question, and say so', async () => {
    const reply = await user.client.call(ROUTES.search, user.permit, { query: 'tomatoes from Alice in 2019', k: 3 });
    expect(reply.understood).toMatchObject({ filters: { from: 'alice@example.org' }, dropped: true });
    expect(reply.hits.length).toBeGreaterThan(0);
  });

  test('chat frames name the filters read from the question', async () => {
    const out = await frames(user, {
      messages: [{ role: 'user', content: 'what did I get from Alice in July 2024?' }],
    });
    const start = out.find((f) => f.type === 'start');
    expect(start?.type === 'start' && start.understood?.filters).toMatchObject({ from: 'alice@example.org' });
  });
});
