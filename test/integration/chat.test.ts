/**
 * `POST /v1/chat` end to end on loopback, against fake LLM workers speaking
 * the real OpenAI (SSE) and Ollama (NDJSON) wire formats: what reaches the
 * LLM, what reaches the user, and what an attacker altering an answer gets.
 */
import { randomBytes } from 'node:crypto';
import { ROUTES } from '../../schemas/routes.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChatFinal, ChatFrame, ChatRequest } from '../../schemas/chat.js';
import { ReceiptError, sha256Hex, verifyReceipt } from '../../src/crypto/receipt.js';
import { tempDir } from '../helpers/index.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { findSecret } from '../helpers/scan.js';
import { flipBits, must } from '../helpers/must.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';
import { conversation, conversationsOf } from '../helpers/state.js';

const ALICE_CANARY = `ALICE-${randomBytes(5).toString('hex')}`;
const BOB_CANARY = `BOB-${randomBytes(5).toString('hex')}`;

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});

async function collect(user: TestUser, request: ChatRequest): Promise<{ frames: ChatFrame[]; request: Uint8Array }> {
  const { request: bytes, frames } = await user.client.chat(user.permit, request);
  const out: ChatFrame[] = [];
  for await (const f of frames) out.push(f);
  return { frames: out, request: bytes };
}

const finalOf = (frames: ChatFrame[]): ChatFinal => {
  const last = frames.at(-1);
  if (last?.type !== 'final') throw new Error(`expected a final frame, got ${JSON.stringify(last)}`);
  return last;
};

/** The messages the fake worker was sent in request `i` (the last by default). */
const messagesOf = (fake: FakeLlm, i = -1) =>
  must(must(fake.requests.at(i), `request ${i} to the fake worker`).body.messages, `the messages of request ${i}`);

/** The whole prompt the fake worker was sent, as one string. */
const promptOf = (fake: FakeLlm, i = -1) =>
  messagesOf(fake, i)
    .map((m) => m.content)
    .join('\n');

describe.each(['openai', 'ollama'] as const)('chat through a %s-compatible worker', (wire) => {
  const dir = tempDir();
  let fake: FakeLlm;
  let svc: TestService;
  let alice: TestUser;
  let bob: TestUser;
  let aliceDoc: string;

  beforeAll(async () => {
    fake = await startFakeLlm();
    svc = await startTestService(
      dir.path,
      {},
      {
        PRAG_LLM: wire,
        PRAG_LLM_URL: fake.url,
        PRAG_LLM_MODEL: 'fake-model',
        PRAG_LLM_TIMEOUT_S: '1',
        PRAG_LLM_IDLE_TIMEOUT_S: '1',
        PRAG_LLM_API_KEY: 'sk-test-key',
      },
    );
    alice = await testUser(svc.url);
    bob = await testUser(svc.url);
    const up = await alice.client.upload(
      alice.permit,
      textUpload(
        'cardiology.txt',
        `Cardiology letter. Metoprolol 47 mg twice daily was started for atrial fibrillation. Reference ${ALICE_CANARY}.`,
        'medical',
      ),
    );
    aliceDoc = must(up.doc_ids[0], 'the uploaded document id');
    await alice.client.upload(
      alice.permit,
      textUpload('garden.txt', 'The tomatoes in the garden need watering every second day in July.', 'home'),
    );
    await bob.client.upload(
      bob.permit,
      textUpload(
        'bob-meds.txt',
        `Bob takes metoprolol too: 95 mg once daily for blood pressure. Reference ${BOB_CANARY}.`,
      ),
    );
  });

  afterAll(async () => {
    await svc?.close();
    await fake?.close();
    dir.cleanup();
  });

  test("the worker gets the asker's passages as numbered untrusted blocks, never another user's; the answer streams with checked citations", async () => {
    fake.set({ tokens: ['Metoprolol ', '47 mg twice daily ', '[1]', '. Also [7] and [1, 9].'] });
    const { frames, request } = await collect(alice, ask('What dose of metoprolol was I prescribed?'));
    const body = must(fake.requests.at(-1), 'a request to the fake worker');
    expect(body.path).toBe(wire === 'openai' ? '/v1/chat/completions' : '/api/chat');
    expect(body.body.model).toBe('fake-model');
    expect(body.body.stream).toBe(true);
    expect(body.headers.authorization).toBe('Bearer sk-test-key');
    const prompt = promptOf(fake);
    expect(prompt).toContain(ALICE_CANARY);
    expect(prompt).not.toContain(BOB_CANARY);
    expect(prompt).not.toContain('95 mg');
    expect(prompt).toMatch(/<<<SOURCE 1 [0-9a-f]{16}>>>/);
    expect(prompt).toMatch(/untrusted data/);
    expect(messagesOf(fake).at(-1)).toEqual({ role: 'user', content: 'What dose of metoprolol was I prescribed?' });

    expect(frames[0]).toMatchObject({
      type: 'start',
      llm: { provider: wire, model: 'fake-model', attestation: { status: 'skipped', mode: 'off' } },
    });
    const deltas = frames
      .filter((f) => f.type === 'delta')
      .map((f) => (f as { text: string }).text)
      .join('');
    const final = finalOf(frames);
    expect(final.answer).toBe(deltas);
    // [7] and [9] name no retrieved source: never emitted, nor the lead-in ("Also … and") only they gave meaning to.
    expect(final.answer).toBe('Metoprolol 47 mg twice daily [1]. [1].');
    expect(final.citations).toHaveLength(1);
    const c = must(final.citations[0], 'the citation');
    expect(c).toMatchObject({
      n: 1,
      doc_id: aliceDoc,
      title: 'cardiology.txt',
      owner: alice.address,
      collection: 'medical',
    });
    expect(prompt).toContain(`<<<SOURCE 1`);
    expect(c.chunk_hash).toMatch(/^[0-9a-f]{64}$/);

    // The receipt binds request, answer, sources and model to the attested key.
    const receipt = verifyReceipt(
      final.receipt,
      { answer: final.answer, citations: final.citations, request },
      { ed25519: alice.client.service.ed25519, serviceId: alice.client.serviceId },
    );
    expect(receipt).toMatchObject({
      provider: wire,
      model: 'fake-model',
      request_sha256: sha256Hex(request),
      cited_chunks: [c.chunk_hash],
    });
    // Neither the question, the passages, the answer nor the API key reach the service's logs.
    const logs = svc.logs.join('');
    for (const secret of [ALICE_CANARY, 'metoprolol', 'twice daily', 'sk-test-key'])
      expect(logs.toLowerCase()).not.toContain(secret.toLowerCase());
  });

  test('a receipt fails after any byte of the answer, a citation or the request changes', async () => {
    fake.set({ tokens: ['Twice daily [1].'] });
    const { frames, request } = await collect(alice, ask('How often do I take metoprolol?'));
    const final = finalOf(frames);
    const key = { ed25519: alice.client.service.ed25519, serviceId: alice.client.serviceId };
    const bytes = new TextEncoder().encode(final.answer);
    for (let i = 0; i < bytes.length; i++) {
      const altered = bytes.slice();
      flipBits(altered, i, 0x01);
      expect(() =>
        verifyReceipt(final.receipt, { answer: new TextDecoder().decode(altered), citations: final.citations }, key),
      ).toThrow(ReceiptError);
    }
    expect(() =>
      verifyReceipt(final.receipt, { answer: final.answer, citations: [{ chunk_hash: sha256Hex('forged') }] }, key),
    ).toThrow(/citations/);
    expect(() =>
      verifyReceipt(
        final.receipt,
        { answer: final.answer, citations: final.citations, request: request.slice(1) },
        key,
      ),
    ).toThrow(/request/);
    expect(() =>
      verifyReceipt({ ...final.receipt, model: 'gpt-4' }, { answer: final.answer, citations: final.citations }, key),
    ).toThrow(/signature/);
    expect(() =>
      verifyReceipt(
        final.receipt,
        { answer: final.answer, citations: final.citations },
        { ed25519: new Uint8Array(32).fill(7) },
      ),
    ).toThrow(/signer/);
  });

  test('the first answer frame reaches the client before the worker has finished', async () => {
    let release!: () => void;
    fake.set({
      tokens: ['Metoprolol ', 'is ', 'in ', 'the ', 'letter [1].'],
      hold: new Promise<void>((r) => {
        release = r;
      }),
    });
    const finishedBefore = fake.finished;
    const { frames } = await alice.client.chat(alice.permit, ask('Which drug was started?'));
    const seen: ChatFrame[] = [];
    for await (const f of frames) {
      seen.push(f);
      if (f.type === 'delta' && seen.filter((s) => s.type === 'delta').length === 1) {
        // The space is held until the next token shows it does not lead in to a marker that will be removed.
        expect(f.text).toBe('Metoprolol');
        expect(fake.finished).toBe(finishedBefore); // still held by the worker
        release();
      }
    }
    expect(finalOf(seen).answer).toBe('Metoprolol is in the letter [1].');
    expect(fake.finished).toBe(finishedBefore + 1);
  });

  test('the upstream request is cancelled when the client goes away', async () => {
    fake.set({ tokens: Array.from({ length: 200 }, (_, i) => `word${i} `), delayMs: 50 });
    const cutOff = fake.nextCutOff();
    const abort = new AbortController();
    const { frames } = await alice.client.chat(
      alice.permit,
      ask('Tell me everything about the cardiology letter.'),
      abort.signal,
    );
    const before = fake.finished;
    await expect(
      (async () => {
        for await (const f of frames) if (f.type === 'delta') abort.abort();
      })(),
    ).rejects.toThrow();
    await cutOff; // the worker saw its connection closed before it had finished
    expect(fake.finished).toBe(before);
  });

  test('upstream errors and timeouts become a clear error frame; transient failures are retried before the first token', async () => {
    fake.set({ status: 401 });
    let frames = (await collect(alice, ask('What dose?'))).frames;
    expect(frames.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'llm_upstream_status', message: expect.stringContaining('HTTP 401') },
    });

    const before = fake.requests.length;
    fake.set({ status: 500 });
    frames = (await collect(alice, ask('What dose?'))).frames;
    expect(frames.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'llm_upstream_status', message: expect.stringContaining('HTTP 500') },
    });
    expect(fake.requests.length - before).toBe(3); // PRAG_LLM_ATTEMPTS default

    fake.set({ failFirst: 2, tokens: ['Recovered [1].'] });
    frames = (await collect(alice, ask('What dose?'))).frames;
    expect(finalOf(frames).answer).toBe('Recovered [1].');

    fake.set({ hang: true });
    frames = (await collect(alice, ask('What dose?'))).frames;
    expect(frames.at(-1)).toMatchObject({ type: 'error', error: { code: 'llm_timeout' } });

    fake.set({ tokens: ['one ', 'two'], delayMs: 1500 });
    frames = (await collect(alice, ask('What dose?'))).frames;
    expect(frames.some((f) => f.type === 'delta')).toBe(true);
    expect(frames.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'llm_timeout', message: expect.stringContaining('stalled') },
    });
  }, 30_000);

  test('a collection shared with a user (and accepted) is context for their questions, marked and cited as shared; revoked, it is not', async () => {
    const { grant_id } = await alice.client.call(ROUTES.shareGrant, alice.permit, {
      with: bob.address,
      collection: 'medical',
    });
    fake.set({ tokens: ['Both doses are known [1][2].'] });
    await collect(bob, ask('What metoprolol dose is prescribed?'));
    expect(promptOf(fake)).not.toContain(ALICE_CANARY); // offered, not yet accepted
    await bob.client.call(ROUTES.shareAccept, bob.permit, { grant_id });
    let { frames } = await collect(bob, ask('What metoprolol dose is prescribed?'));
    let prompt = promptOf(fake);
    expect(prompt).toContain(ALICE_CANARY);
    expect(prompt).toContain(BOB_CANARY);
    expect(prompt).not.toContain('tomatoes'); // Alice's unshared collection
    // The model is told which passage is someone else's, on the line after the delimiter (passage text cannot reach it).
    const passage = (canary: string) =>
      must(
        prompt.split('<<<SOURCE ').find((block) => block.includes(canary)),
        `the passage holding ${canary}`,
      );
    expect(passage(ALICE_CANARY)).toMatch(/^\d+ [0-9a-f]{16}>>>\nShared by another person\nTitle: /);
    expect(passage(BOB_CANARY)).not.toContain('Shared by another person');
    const cited = finalOf(frames)
      .citations.map((c) => [c.owner, c.shared])
      .sort();
    expect(cited).toEqual(
      [
        [alice.address, true],
        [bob.address, false],
      ].sort(),
    );

    await alice.client.call(ROUTES.shareRevoke, alice.permit, { with: bob.address, collection: 'medical' });
    ({ frames } = await collect(bob, ask('What metoprolol dose is prescribed?')));
    prompt = promptOf(fake);
    expect(prompt).not.toContain(ALICE_CANARY);
    expect(finalOf(frames).citations.every((c) => c.owner === bob.address)).toBe(true);
    const audit = await alice.client.call(ROUTES.audit, alice.permit, {});
    expect(audit.entries.some((e) => e.endpoint === 'chat' && e.requester === bob.address)).toBe(true);
  });

  test('follow-ups carry the history; a stored conversation is sealed and resumable', async () => {
    fake.set({ tokens: ['47 mg [1].'] });
    const first = finalOf(
      (await collect(alice, ask('What dose of metoprolol?', { conversation: { store: true } }))).frames,
    );
    expect(first.conversation_id).toMatch(/^[0-9a-f]{32}$/);
    const id = must(first.conversation_id, 'the conversation id');
    fake.set({ tokens: ['Twice a day [1].'] });
    const history: ChatRequest['messages'] = [
      { role: 'user', content: 'What dose of metoprolol?' },
      { role: 'assistant', content: first.answer },
      { role: 'user', content: 'How often?' },
    ];
    const second = finalOf((await collect(alice, { messages: history, conversation: { id, store: true } })).frames);
    const sent = messagesOf(fake);
    expect(sent.slice(1)).toEqual(history);
    // "How often?" alone retrieves nothing useful: the previous question joins the query.
    expect(promptOf(fake)).toContain(ALICE_CANARY);
    expect(second.conversation_id).toBe(id);

    const stored = await alice.client.call(ROUTES.conversationGet, alice.permit, { id: id });
    expect(stored.messages.map((m) => m.content)).toEqual([...history.map((m) => m.content), 'Twice a day [1].']);
    expect(must(stored.messages[1], 'the stored answer').citations).toEqual(first.citations);
    expect((await alice.client.call(ROUTES.conversations, alice.permit, {})).conversations.map((c) => c.id)).toContain(
      id,
    );
    await expect(bob.client.call(ROUTES.conversationGet, bob.permit, { id: id })).rejects.toMatchObject({
      code: 'conversation_not_found',
    });
    expect(findSecret(dir.path, 'Twice a day')).toEqual([]);
    await alice.client.call(ROUTES.conversationDelete, alice.permit, { id: id });
    await expect(alice.client.call(ROUTES.conversationGet, alice.permit, { id: id })).rejects.toMatchObject({
      code: 'conversation_not_found',
    });
  });

  test('forget-me deletes stored conversations', async () => {
    const carol = await testUser(svc.url);
    await carol.client.upload(carol.permit, textUpload('carol.txt', "Carol's passport expires in May 2031."));
    fake.set({ tokens: ['May 2031 [1].'] });
    const { conversation_id } = finalOf(
      (await collect(carol, ask('When does my passport expire?', { conversation: { store: true } }))).frames,
    );
    expect(
      conversation(
        svc.service.engine,
        svc.service.ownerId(carol.address),
        must(conversation_id, 'the conversation id'),
      ),
    ).toBeDefined();
    await carol.client.call(ROUTES.forgetMe, carol.permit, { confirm: carol.address });
    expect(conversationsOf(svc.service.engine, svc.service.ownerId(carol.address))).toEqual([]);
  });

  test('bad chat requests are refused with precise codes', async () => {
    const before = fake.requests.length;
    await expect(alice.client.chat(alice.permit, { messages: [] })).rejects.toMatchObject({
      status: 400,
      code: 'request_invalid',
    });
    await expect(
      alice.client.chat(alice.permit, { messages: [{ role: 'assistant', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 400, code: 'request_invalid' });
    await expect(alice.client.chat(alice.permit, { ...ask('x'), k: 1000 })).rejects.toMatchObject({
      status: 400,
      code: 'request_invalid',
    });
    await expect(
      alice.client.chat(alice.permit, { ...ask('x'), conversation: { id: 'nope', store: true } }),
    ).rejects.toMatchObject({ status: 400, code: 'request_invalid' });
    expect(fake.requests.length).toBe(before);
  });
});

describe('reasoning and extractive answers', () => {
  const dir = tempDir();
  let fake: FakeLlm;
  let llmSvc: TestService;
  let plainSvc: TestService;

  beforeAll(async () => {
    fake = await startFakeLlm({
      tokens: ['<th', 'ink>The user asks about ', 'REASONING-SECRET</thi', 'nk>', 'Ferritin is low [1].'],
    });
    llmSvc = await startTestService(
      `${dir.path}/llm`,
      {},
      { PRAG_LLM: 'ollama', PRAG_LLM_URL: fake.url, PRAG_LLM_MODEL: 'deepseek-r1:70b' },
    );
    plainSvc = await startTestService(`${dir.path}/plain`);
  });

  afterAll(async () => {
    await llmSvc?.close();
    await plainSvc?.close();
    await fake?.close();
    dir.cleanup();
  });

  test('<think> blocks are separated from the answer, and streamed apart only when asked for', async () => {
    const user = await testUser(llmSvc.url);
    await user.client.upload(
      user.permit,
      textUpload('labs.txt', 'Lab results from March: ferritin is low at 9 ng/mL; haemoglobin normal.'),
    );
    let { frames } = await collect(user, ask('Is my ferritin low?'));
    expect(finalOf(frames).answer).toBe('Ferritin is low [1].');
    expect(JSON.stringify(frames)).not.toContain('REASONING-SECRET');
    ({ frames } = await collect(user, ask('Is my ferritin low?', { reasoning: true })));
    expect(
      frames
        .filter((f) => f.type === 'reasoning')
        .map((f) => (f as { text: string }).text)
        .join(''),
    ).toBe('The user asks about REASONING-SECRET');
    expect(finalOf(frames).answer).toBe('Ferritin is low [1].');
  });

  test('with no LLM configured, the answer is extracted from the passages, with citations and a receipt', async () => {
    const user = await testUser(plainSvc.url);
    await user.client.upload(
      user.permit,
      textUpload(
        'bank.txt',
        'Statement for March. The rent of 1,250 EUR was paid on 3 March to Acme Lettings. Groceries came to 310 EUR.',
      ),
    );
    await user.client.upload(
      user.permit,
      textUpload('car.txt', 'The car insurance renews in October with Example Mutual.'),
    );
    const { frames, request } = await collect(user, ask('How much rent did I pay in March?', { stream: false }));
    expect(frames).toHaveLength(1);
    const final = finalOf(frames);
    expect(final.llm).toEqual({
      provider: 'extractive',
      model: 'extractive',
      attestation: { mode: 'off', status: 'not_applicable' },
    });
    expect(final.answer).toContain('1,250 EUR');
    expect(final.answer).toMatch(/\[1\]/);
    expect(final.citations[0]).toMatchObject({ n: 1, title: 'bank.txt', owner: user.address });
    verifyReceipt(
      final.receipt,
      { answer: final.answer, citations: final.citations, request },
      { ed25519: user.client.service.ed25519 },
    );

    const none = await testUser(plainSvc.url);
    const empty = finalOf((await collect(none, ask('How much rent did I pay?'))).frames);
    expect(empty.citations).toEqual([]);
    expect(empty.answer).toMatch(/nothing in your documents/);
  });
});
