/**
 * `prag proxy` against a real service answering through a loopback fake
 * OpenAI-compatible worker, driven by the official `openai` SDK (streaming
 * and not) and by raw HTTP for the SSE wire format: citations in the text
 * and in the `prag` extension, the collection header, the bearer token,
 * embeddings refused, and every request refused while the attestation fails.
 */
import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect } from '../../src/client/index.js';
import { startProxy, type RunningProxy } from '../../src/integrations/openai-proxy.js';
import { tempDir } from '../helpers/index.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { must } from '../helpers/must.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';

const TOKEN = 'local-proxy-token';

interface PragExtension {
  citations: Array<{ n: number; title: string; collection: string | null }>;
  receipt: { service_id: string; signature: string };
  receipt_verified: boolean;
  llm: { provider: string; model: string };
}

describe('prag proxy: an OpenAI-compatible API in front of the sealed /v1/chat', () => {
  const dir = tempDir();
  let fake: FakeLlm;
  let svc: TestService;
  let alice: TestUser;
  let proxy: RunningProxy;
  let openai: OpenAI;

  /** The prompt the fake worker was last sent, as one string. */
  const lastPrompt = () =>
    must(fake.requests.at(-1)?.body.messages, 'a request to the fake worker')
      .map((m) => m.content)
      .join('\n');

  beforeAll(async () => {
    fake = await startFakeLlm({ tokens: ['Metoprolol ', '47 mg ', 'twice daily [1].'] });
    svc = await startTestService(
      dir.path,
      {},
      { PRAG_LLM: 'openai', PRAG_LLM_URL: fake.url, PRAG_LLM_MODEL: 'fake-model' },
    );
    alice = await testUser(svc.url);
    await alice.client.upload(
      alice.permit,
      textUpload(
        'cardiology.txt',
        'Cardiology letter. Metoprolol 47 mg twice daily for atrial fibrillation.',
        'medical',
      ),
    );
    await alice.client.upload(
      alice.permit,
      textUpload('garden.txt', 'The tomatoes in the garden need watering every second day in July.', 'home'),
    );
    proxy = await startProxy({
      open: () => connect(svc.url, { signer: alice.wallet, allowInsecureDev: true, device: 'proxy' }),
      port: 0,
      token: TOKEN,
    });
    openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
  });

  afterAll(async () => {
    await proxy?.close();
    await svc?.close();
    await fake?.close();
    dir.cleanup();
  });

  test('a completion is a sealed chat: the answer carries numbered sources, and the extension its verified receipt', async () => {
    const before = fake.requests.length;
    const res = await openai.chat.completions.create({
      model: 'prag',
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'user', content: 'What dose of metoprolol do I take?' },
      ],
      temperature: 0.2,
    });
    expect(fake.requests.length).toBe(before + 1);
    expect(lastPrompt()).toContain('Metoprolol 47 mg twice daily for atrial fibrillation');
    // A front-end's system prompt does not replace the service's own.
    expect(lastPrompt()).not.toContain('pirate');
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('prag');
    const choice = must(res.choices[0], 'a choice');
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.content).toBe(
      'Metoprolol 47 mg twice daily [1].\n\n---\nSources:\n[1] cardiology.txt — medical',
    );
    const prag = (res as unknown as { prag: PragExtension }).prag;
    expect(prag.receipt_verified).toBe(true);
    expect(prag.citations).toMatchObject([{ n: 1, title: 'cardiology.txt', collection: 'medical' }]);
    expect(prag.receipt.service_id).toBe(alice.client.serviceId);
    expect(prag.llm).toMatchObject({ provider: 'openai', model: 'fake-model' });
  });

  test('streamed through the SDK: the same text, the extension on the last chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'prag',
      stream: true,
      messages: [{ role: 'user', content: 'What dose of metoprolol do I take?' }],
    });
    let content = '';
    let last: unknown;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    expect(content).toBe('Metoprolol 47 mg twice daily [1].\n\n---\nSources:\n[1] cardiology.txt — medical');
    const final = last as { choices: Array<{ finish_reason: string }>; prag: PragExtension };
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(final.prag.citations[0]?.title).toBe('cardiology.txt');
  });

  test("raw SSE: OpenAI's chunk format, `data:` events ending with [DONE]", async () => {
    const res = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ model: 'prag', stream: true, messages: [{ role: 'user', content: 'metoprolol dose?' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body.endsWith('\n\n')).toBe(true);
    const events = body.trimEnd().split('\n\n');
    for (const e of events) expect(e).toMatch(/^data: /);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    for (const c of chunks) expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'prag' });
    expect(chunks[0]).toMatchObject({ choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
    expect(chunks.at(-1)).toMatchObject({
      choices: [{ delta: {}, finish_reason: 'stop' }],
      prag: { receipt_verified: true },
    });
  });

  test('X-PRAG-Collections chooses the collections searched; earlier sources are stripped from the history', async () => {
    await openai.chat.completions.create(
      {
        model: 'prag',
        messages: [
          { role: 'user', content: 'What do I take?' },
          { role: 'assistant', content: 'Metoprolol [1].\n\n---\nSources:\n[1] cardiology.txt — medical' },
          { role: 'user', content: 'What about watering the tomatoes and metoprolol?' },
        ],
      },
      { headers: { 'X-PRAG-Collections': 'home' } },
    );
    expect(lastPrompt()).toContain('tomatoes');
    expect(lastPrompt()).not.toContain('atrial fibrillation');
    const sent = must(fake.requests.at(-1)?.body.messages, 'messages');
    expect(sent.some((m) => m.role === 'assistant' && m.content === 'Metoprolol [1].')).toBe(true);
    expect(sent.some((m) => m.content.includes('cardiology.txt — medical'))).toBe(false);
  });

  test('models: `prag`, then the model seen answering', async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['prag', 'fake-model']);
  });

  test('bad input, a missing or wrong token, embeddings and other hosts get OpenAI-style errors', async () => {
    const raw = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
      fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const bad = await raw({ model: 'prag', messages: [{ role: 'user' }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_request' } });
    const endsWithAnswer = await raw({ model: 'prag', messages: [{ role: 'assistant', content: 'hi' }] });
    expect(await endsWithAnswer.json()).toMatchObject({ error: { message: expect.stringMatching(/last message/) } });
    const badFilter = await raw(
      { model: 'prag', messages: [{ role: 'user', content: 'x' }] },
      { authorization: `Bearer ${TOKEN}`, 'x-prag-filters': '{"dateFrom":"yesterday"}' },
    );
    expect(badFilter.status).toBe(400);

    const noToken = await raw({ model: 'prag', messages: [{ role: 'user', content: 'x' }] }, {});
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    const wrong = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const embeddings = openai.embeddings.create({ model: 'prag', input: 'my diagnosis' });
    await expect(embeddings).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(embeddings).rejects.toThrow(/enclave/);

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/v1/models`, {
        headers: { host: 'rebound.example', authorization: `Bearer ${TOKEN}` },
      });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  test('a service that fails verification: every request is refused, clearly, and nothing reaches it', async () => {
    const refused = await startProxy({
      // Without allowInsecureDev the dev provider's evidence does not verify.
      open: () => connect(svc.url, { signer: alice.wallet }),
      port: 0,
    });
    try {
      expect(refused.failure?.message).toMatch(/dev_evidence/);
      const client = new OpenAI({ baseURL: `${refused.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const before = fake.requests.length;
      for (const call of [
        client.models.list(),
        client.chat.completions.create({ model: 'prag', messages: [{ role: 'user', content: 'metoprolol?' }] }),
        client.chat.completions.create({
          model: 'prag',
          stream: true,
          messages: [{ role: 'user', content: 'metoprolol?' }],
        }),
      ]) {
        const e = await (call as Promise<unknown>).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(OpenAI.APIError);
        expect(e).toMatchObject({ status: 503, code: 'attestation_failed', type: 'prag_attestation_error' });
        expect((e as Error).message).toMatch(/attestation did not verify, so nothing was sent/);
      }
      expect(fake.requests.length).toBe(before);
    } finally {
      await refused.close();
    }
  });
});
