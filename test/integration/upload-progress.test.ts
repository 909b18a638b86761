/**
 * Following and cancelling uploads through the sealed API: progress through parse → embed → store arrives
 * while an upload runs, before its result; only the owner sees or cancels an upload; a cancel drops that
 * upload only (what it had written is rolled back) and leaves the owner's other uploads and other users alone.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { UploadStatus } from '../../schemas/api.js';
import { ROUTES } from '../../schemas/routes.js';
import { ServiceError } from '../../src/client/session.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, testUser, textUpload, type TestService, type TestUser } from '../helpers/service.js';
import { documentIdsOf, unfinished } from '../helpers/state.js';

const dir = tempDir();
let svc: TestService;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  svc = await startTestService(dir.path, { shutdownGraceMs: 0 });
  alice = await testUser(svc.url);
  bob = await testUser(svc.url);
});
afterAll(async () => {
  await svc.close();
  dir.cleanup();
});

/** An mbox of `n` messages, each long enough for a few chunks. */
const mbox = (n: number, topic: string) =>
  Array.from(
    { length: n },
    (_, i) =>
      `From sender@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nTo: b@example.org\nSubject: ${topic} ${i}\n\n` +
      `${`Entry ${i} of the ${topic} log: the pump was checked, the filter rinsed and the readings noted. `.repeat(30)}\n\n`,
  ).join('');

const enqueue = (user: TestUser, name: string, text: string) =>
  user.client.enqueueUpload(user.permit, textUpload(name, text)).then((q) => q.upload_id);

const refusal = (run: Promise<unknown>) =>
  run.then(
    () => 'succeeded',
    (e: unknown) => (e instanceof ServiceError ? `${e.status} ${e.code}` : String(e)),
  );

/** Follows `id` until `until` holds for a status (or the upload finishes); returns every status seen. */
async function followUntil(user: TestUser, id: string, until: (s: UploadStatus) => boolean = () => false) {
  const seen: UploadStatus[] = [];
  for await (const status of user.client.followUploads(user.permit, [id])) {
    seen.push(status);
    if (until(status)) break;
  }
  return seen;
}

describe('following uploads', () => {
  test('progress through parse, embed and store arrives while the upload runs, then its result', async () => {
    const name = 'pump-log-progress.mbox';
    const id = await enqueue(alice, name, mbox(20, 'pump'));
    const seen = await followUntil(alice, id);

    const last = seen.at(-1);
    expect(last).toMatchObject({ upload_id: id, name, state: 'done', result: { upload_id: id } });
    expect(last?.result?.doc_ids).toHaveLength(20);
    expect(last?.progress).toBeUndefined();
    // Before the result: the upload running, part-way through its documents.
    const running = seen.filter((s) => s.state === 'running');
    expect(running.some((s) => s.progress && s.progress.documents.parsed > 0 && s.progress.documents.parsed < 20)).toBe(
      true,
    );
    for (const s of running) {
      const p = s.progress;
      expect(p).toBeDefined();
      if (!p) continue;
      expect(p.chunks.embedded).toBeLessThanOrEqual(p.chunks.queued);
      expect(p.chunks.stored).toBeLessThanOrEqual(p.chunks.embedded);
      expect(p.bytes_read).toBeLessThanOrEqual(s.size);
    }
    // Counts only grow, and the stages come in order.
    const parsed = running.map((s) => s.progress?.documents.parsed ?? 0);
    expect(parsed).toEqual([...parsed].sort((a, b) => a - b));
    const order = ['queued', 'parsing', 'embedding', 'storing'];
    const stages = seen.flatMap((s) => (s.progress ? [order.indexOf(s.progress.stage)] : []));
    expect(stages).toEqual([...stages].sort((a, b) => a - b));
    expect(running.some((s) => s.progress?.eta_s !== null && (s.progress?.chunks_per_s ?? 0) > 0)).toBe(true);

    // The same status in the list; the name never reaches the service's logs.
    const { uploads } = await alice.client.call(ROUTES.uploads, alice.permit, {});
    expect(uploads.find((u) => u.upload_id === id)).toMatchObject({ state: 'done', name });
    expect(svc.logs.join('')).not.toContain('pump-log-progress');
  }, 120_000);

  test('a follow of finished uploads answers their outcomes and ends', async () => {
    const id = await enqueue(alice, 'short.txt', 'The boiler was serviced in March.');
    await alice.client.waitForUpload(alice.permit, id);
    const seen = await followUntil(alice, id);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ state: 'done', result: { doc_ids: [expect.any(String)] } });
  });
});

describe('cancelling uploads', () => {
  test('only the owner sees or cancels an upload; a cancel rolls back that upload only, whatever its state', async () => {
    const a = svc.service.ownerId(alice.address);
    const b = svc.service.ownerId(bob.address);
    const before = new Set(documentIdsOf(svc.service.engine, a));

    const big = await enqueue(alice, 'big.mbox', mbox(150, 'boiler'));
    const queued = await enqueue(alice, 'waiting.txt', 'The spare fuse is in the drawer.'); // behind big: one at a time
    const kept = await enqueue(alice, 'kept.txt', 'The meter reading in May was 40213.');
    const bobs = await enqueue(bob, 'bob.txt', 'The garden hose is in the shed.');

    // Someone else's upload is as unknown as one that never was.
    expect(await refusal(bob.client.call(ROUTES.uploadCancel, bob.permit, { upload_id: big }))).toBe(
      '404 upload_not_found',
    );
    expect(await refusal(followUntil(bob, big))).toBe('404 upload_not_found');
    expect(await refusal(bob.client.call(ROUTES.uploadCancel, bob.permit, { upload_id: 'f'.repeat(32) }))).toBe(
      '404 upload_not_found',
    );
    const bobsList = (await bob.client.call(ROUTES.uploads, bob.permit, {})).uploads.map((u) => u.upload_id);
    expect(bobsList).toEqual([bobs]);

    // A queued upload leaves the queue.
    expect(await alice.client.call(ROUTES.uploadCancel, alice.permit, { upload_id: queued })).toEqual({
      upload_id: queued,
      state: 'cancelled',
    });
    // A running one, part-way, with documents already written (not yet committed), is rolled back.
    const seen = await followUntil(alice, big, (s) => (s.progress?.documents.stored ?? 0) > 0);
    expect(seen.at(-1)?.state).toBe('running');
    expect(await alice.client.call(ROUTES.uploadCancel, alice.permit, { upload_id: big })).toEqual({
      upload_id: big,
      state: 'cancelled',
    });

    // The owner's next upload and the other user's run on.
    expect((await alice.client.waitForUpload(alice.permit, kept)).doc_ids).toHaveLength(1);
    expect((await bob.client.waitForUpload(bob.permit, bobs)).doc_ids).toHaveLength(1);
    expect(await refusal(alice.client.waitForUpload(alice.permit, big))).toBe('422 upload_cancelled');

    const { uploads } = await alice.client.call(ROUTES.uploads, alice.permit, {});
    const stateOf = (id: string) => uploads.find((u) => u.upload_id === id);
    expect(stateOf(big)).toMatchObject({ state: 'cancelled', error: { code: 'upload_cancelled' } });
    expect(stateOf(queued)).toMatchObject({ state: 'cancelled', error: { code: 'upload_cancelled' } });
    const added = documentIdsOf(svc.service.engine, a).filter((id) => !before.has(id));
    expect(added).toEqual((await alice.client.waitForUpload(alice.permit, kept)).doc_ids);
    expect(documentIdsOf(svc.service.engine, b)).toHaveLength(1);
    expect(unfinished(svc.service.engine)).toEqual([]);

    // A finished upload stays as it ended.
    expect(await alice.client.call(ROUTES.uploadCancel, alice.permit, { upload_id: kept })).toEqual({
      upload_id: kept,
      state: 'done',
    });
  }, 180_000);
});
