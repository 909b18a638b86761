/**
 * Load: 32 concurrent clients (each its own wallet) mixing uploads, searches
 * and chats against one service for 60 s, with a fake OpenAI-compatible LLM
 * on loopback. Zero 5xx; latencies reported per operation.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROUTES } from '../../schemas/routes.js';
import { ServiceError } from '../../src/client/session.js';
import { questions, emailText, rng } from '../../src/bench/corpus.js';
import { tempDir } from '../helpers/index.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { must } from '../helpers/must.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';
import { percentiles, report } from './helpers.js';

const CLIENTS = 32;
const SECONDS = 60;
const dir = tempDir();
let svc: TestService;
let fake: FakeLlm;

beforeAll(async () => {
  fake = await startFakeLlm({ tokens: ['Your ', 'documents ', 'say ', 'so ', '[1].'], firstDelayMs: 50, delayMs: 10 });
  svc = await startTestService(
    dir.path,
    {},
    {
      PRAG_LLM: 'openai',
      PRAG_LLM_URL: fake.url,
      PRAG_LLM_MODEL: 'load-model',
      PRAG_RATE_PER_MIN: '100000',
      PRAG_RATE_BURST: '10000',
      // Every client of the load test is on loopback: one network address.
      PRAG_CLIENT_RATE_PER_MIN: '1000000',
      PRAG_CLIENT_RATE_BURST: '100000',
    },
  );
});
afterAll(async () => {
  await svc?.close();
  await fake?.close();
  dir.cleanup();
});

test(`${CLIENTS} clients × ${SECONDS} s of uploads, searches and chats: zero 5xx`, async () => {
  const users: TestUser[] = await Promise.all(Array.from({ length: CLIENTS }, () => testUser(svc.url)));
  const r = rng(11);
  await Promise.all(users.map((u, i) => u.client.upload(u.permit, textUpload(`seed-${i}.eml`, emailText(r, i)))));
  const qs = questions(200);
  const question = () => must(qs[Math.floor(Math.random() * qs.length)], 'a question');
  const latency = {
    upload: [] as number[],
    search: [] as number[],
    chat: [] as number[],
    chat_first_token: [] as number[],
  };
  const statuses = new Map<string, number>();
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  const deadline = performance.now() + SECONDS * 1000;

  const client = async (u: TestUser, i: number) => {
    let n = 0;
    while (performance.now() < deadline) {
      const pick = Math.random();
      const t0 = performance.now();
      try {
        if (pick < 0.15) {
          await u.client.upload(u.permit, textUpload(`doc-${i}-${n++}.eml`, emailText(r, 1000 * i + n)));
          latency.upload.push(performance.now() - t0);
          count('upload 200');
        } else if (pick < 0.7) {
          await u.client.call(ROUTES.search, u.permit, { query: question(), k: 10 });
          latency.search.push(performance.now() - t0);
          count('search 200');
        } else {
          const { frames } = await u.client.chat(u.permit, {
            messages: [{ role: 'user', content: question() }],
          });
          let first = 0;
          for await (const f of frames) {
            if (f.type === 'delta' && !first) first = performance.now();
            if (f.type === 'error') count(`chat error frame ${f.error.code}`);
            if (f.type === 'final') count('chat 200');
          }
          latency.chat.push(performance.now() - t0);
          if (first) latency.chat_first_token.push(first - t0);
        }
      } catch (e) {
        count(e instanceof ServiceError ? `${e.status} ${e.code}` : `client error ${(e as Error).name}`);
      }
    }
  };
  await Promise.all(users.map((u, i) => client(u, i)));

  const byStatus = Object.fromEntries([...statuses].sort());
  const fiveHundreds = [...statuses].filter(
    ([k]) => /^5\d\d /.test(k) || k.includes('internal') || k.startsWith('client error'),
  );
  report('load', {
    clients: CLIENTS,
    seconds: SECONDS,
    outcomes: byStatus,
    five_xx: fiveHundreds.reduce((n, [, c]) => n + c, 0),
    latency_ms: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, percentiles(v)])),
    operations_per_second: Math.round((latency.upload.length + latency.search.length + latency.chat.length) / SECONDS),
  });
  expect(fiveHundreds).toEqual([]);
  expect(latency.search.length).toBeGreaterThan(0);
  expect(latency.chat.length).toBeGreaterThan(0);
  expect(latency.upload.length).toBeGreaterThan(0);
});
