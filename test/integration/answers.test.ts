/**
 * The labelled question–answer set (test/sets/answers.json) through the
 * service end to end, with the real model: extractive answers must state the
 * expected fact on a line whose marker cites the right document, and decline
 * what the archive cannot answer. Through an LLM that invents markers, the
 * answer keeps only real sources and no trace of the removed ones.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChatFinal, ChatFrame } from '../../schemas/chat.js';
import { tempDir } from '../helpers/index.js';
import { DECLINE, qaSet, runSet, score, uploadArchives, type Archive, type QaResult } from '../helpers/answers.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startTestService, type TestService } from '../helpers/service.js';

describe('extractive answers over the labelled set', () => {
  const dir = tempDir();
  let svc: TestService;
  let results: QaResult[];

  beforeAll(async () => {
    svc = await startTestService(dir.path, {}, { PRAG_LLM: 'extractive' });
    const archives = await uploadArchives(svc.url);
    await svc.service.engine.maintain(); // the keyword index as a user finds it once uploads have settled
    results = await runSet(archives);
  }, 600_000);
  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  test('at least 80% of answerable questions state the fact and cite its document; 90% of the others are declined', () => {
    const scores = score(results);
    const missed = results.filter((r) => !r.ok).map((r) => `${r.q.id}: ${r.answer}`);
    expect(scores.answered.rate, missed.join('\n')).toBeGreaterThanOrEqual(0.8);
    expect(scores.declined.rate, missed.join('\n')).toBeGreaterThanOrEqual(0.9);
  });

  test('no answer says the same sentence twice', () => {
    for (const { answer } of results) {
      const lines = answer.split('\n').map((l) => l.replace(/\s*\[[\d, ]+\]$/, '').toLowerCase());
      expect(new Set(lines).size, answer).toBe(lines.length);
    }
  });

  test('an answer is its sentences, each cited; a decline is the one sentence, with nothing cited', () => {
    for (const { answer } of results) {
      if (answer === DECLINE) continue;
      for (const line of answer.split('\n')) expect(line).toMatch(/\S \[\d+(?:, \d+)*\]$/);
    }
  });
});

describe('answers through an LLM that invents citation markers', () => {
  const dir = tempDir();
  let fake: FakeLlm;
  let svc: TestService;
  let archives: Map<string, Archive>;

  beforeAll(async () => {
    fake = await startFakeLlm();
    svc = await startTestService(dir.path, {}, { PRAG_LLM: 'openai', PRAG_LLM_URL: fake.url, PRAG_LLM_MODEL: 'fake' });
    archives = await uploadArchives(svc.url);
  }, 600_000);
  afterAll(async () => {
    await svc?.close();
    await fake?.close();
    dir.cleanup();
  });

  test('only real sources stay cited, and removing the others leaves no trace', async () => {
    for (const q of qaSet.questions) {
      const archive = archives.get(q.archive);
      if (!archive) throw new Error(`unknown archive ${q.archive}`);
      // The model's answer, streamed in pieces that cut markers and lead-ins apart.
      fake.set({
        tokens: [
          `It is ${q.expect?.[0] ?? 'not recorded'} [`,
          '1]. See also [9',
          '9].',
          ' Other records ([0], [4',
          '2]) agree',
          ' [1, 77] and [ 2 ]; compare [source 3].\nRefs: [#100]',
          ' [4',
        ],
      });
      const { frames } = await archive.user.client.chat(archive.user.permit, {
        messages: [{ role: 'user', content: q.question }],
      });
      const seen: ChatFrame[] = [];
      for await (const f of frames) seen.push(f);
      const start = seen[0];
      const final = seen.at(-1) as ChatFinal;
      expect(start?.type).toBe('start');
      expect(final.type).toBe('final');
      const sources = start?.type === 'start' ? start.sources : 0;
      const { answer, citations } = final;
      const markers = [...answer.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '');
      for (const m of markers) expect(m, answer).toMatch(/^\d+(?:, \d+)*$/);
      const numbers = markers.flatMap((m) => m.split(', ').map(Number));
      expect(new Set(citations.map((c) => c.n))).toEqual(new Set(numbers));
      for (const n of numbers) expect(n >= 1 && n <= sources, answer).toBe(true);
      expect(answer, answer).not.toMatch(/\(\s*[,;]?\s*\)|\s[.,;]| {2}|See also|\[\d*$|Refs:|\b(?:and|compare)\s*[.;]/);
      expect(answer.startsWith(`It is ${q.expect?.[0] ?? 'not recorded'} [1].`), answer).toBe(sources >= 1);
    }
  });
});
