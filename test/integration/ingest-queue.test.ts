/**
 * The ingest queue between owners: uploads of different owners take turns document by document, so a small
 * upload is not held up by another owner's large mbox; and an upload's parsing is bounded in time as a whole.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { ROUTES } from '../../schemas/routes.js';
import type { IngestOptions } from '../../src/engine/engine.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, testUser, textUpload, type TestService } from '../helpers/service.js';
import { chunkCount, documentIdsOf } from '../helpers/state.js';

const dir = tempDir();
afterAll(() => dir.cleanup());

const message = (i: number, body: string, attachment = '') =>
  `From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nTo: b@example.org\nSubject: Note ${i}\n` +
  (attachment
    ? `MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n${body}\n--b\n` +
      `Content-Type: text/csv\nContent-Disposition: attachment; filename="rows${i}.csv"\n\n${attachment}--b--\n\n`
    : `\n${body}\n\n`);

type Event = { kind: 'start' | 'turn' | 'end'; owner: string };

/**
 * Records, through the engine's public ingest, when each owner's ingest starts and ends and every turn it is
 * granted (one per document).
 */
function recordTurns(svc: TestService): Event[] {
  const events: Event[] = [];
  const { engine } = svc.service;
  const ingest = engine.ingest.bind(engine);
  engine.ingest = (files, options) => {
    const { owner, turn } = options;
    const recorded: IngestOptions['turn'] =
      turn &&
      (async () => {
        const giveBack = await turn();
        events.push({ kind: 'turn', owner });
        return giveBack;
      });
    events.push({ kind: 'start', owner });
    return ingest(files, { ...options, turn: recorded }).finally(() => events.push({ kind: 'end', owner }));
  };
  return events;
}

describe('ingest queue', () => {
  test("another owner's one-line upload finishes while a large mbox is ingested, about one of its documents later", async () => {
    const svc = await startTestService(`${dir.path}/fair`, { shutdownGraceMs: 0 });
    try {
      const events = recordTurns(svc);
      const alice = await testUser(svc.url);
      const bob = await testUser(svc.url);
      const a = svc.service.ownerId(alice.address);
      const b = svc.service.ownerId(bob.address);
      const body = (i: number) => `Message ${i} about the garden shed, the fence and the apple tree. `.repeat(8);
      const mbox = Array.from({ length: 300 }, (_, i) => message(i, body(i))).join('');
      const large = alice.client.upload(alice.permit, textUpload('archive.mbox', mbox));
      large.catch(() => undefined); // cut short when the service closes
      const turnsOf = (owner: string, from = 0) =>
        events.slice(from).filter((e) => e.kind === 'turn' && e.owner === owner).length;
      while (turnsOf(a) < 20) await new Promise((r) => setTimeout(r, 20));

      const reply = await bob.client.upload(bob.permit, textUpload('note.txt', 'The spare key is under the mat.'));
      expect(reply.doc_ids).toHaveLength(1);

      // From Bob's upload starting to its end (written and committed), Alice was granted at most one turn: his
      // document waited for the one she had in hand (and, at the handover, for its embedding), not for her mbox.
      const started = events.findIndex((e) => e.kind === 'start' && e.owner === b);
      const ended = events.findIndex((e) => e.kind === 'end' && e.owner === b);
      expect(turnsOf(a, started) - turnsOf(a, ended)).toBeLessThanOrEqual(1);
      expect(turnsOf(b)).toBe(1); // one document, one turn: the file's end took none
      // Her mbox was far from done.
      expect(events.some((e) => e.kind === 'end' && e.owner === a)).toBe(false);
      expect(turnsOf(a)).toBeLessThan(300);
    } finally {
      await svc.close();
    }
  }, 180_000);

  test('an upload that takes longer than its parse budget in all fails as a whole: parse_budget_exceeded, nothing stored', async () => {
    const svc = await startTestService(`${dir.path}/budget`, {}, { PRAG_PARSE_UPLOAD_BUDGET_S: '1' });
    try {
      const user = await testUser(svc.url);
      // Each message's CSV attachment takes a parse worker the better part of a second, and yields no text
      // (its rows are empty): four of them outlast the budget with next to nothing to embed meanwhile.
      const rows = `date,amount,payee\n${',,\n'.repeat(600_000)}`;
      const mbox = Array.from({ length: 4 }, (_, i) => message(i, `Statement ${i}.`, rows)).join('');
      const before = chunkCount(svc.service.engine);
      await expect(user.client.upload(user.permit, textUpload('statements.mbox', mbox))).rejects.toMatchObject({
        status: 413,
        code: 'parse_budget_exceeded',
      });
      expect(documentIdsOf(svc.service.engine, svc.service.ownerId(user.address))).toEqual([]);
      expect(chunkCount(svc.service.engine)).toBe(before);
      const [status] = (await user.client.call(ROUTES.uploads, user.permit, {})).uploads;
      expect(status).toMatchObject({ state: 'failed', error: { code: 'parse_budget_exceeded' } });
      // A small upload right after is unaffected: the budget is per upload.
      expect((await user.client.upload(user.permit, textUpload('note.txt', 'Within budget.'))).doc_ids).toHaveLength(1);
    } finally {
      await svc.close();
    }
  }, 180_000);
});
