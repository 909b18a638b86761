/** FairTurns: document-by-document turns between owners' uploads (src/server/turns.ts). */
import { describe, expect, test } from 'vitest';
import { FairTurns } from '../../src/server/turns.js';

const never = new AbortController().signal;
const done = Promise.resolve();

/** A promise and its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Settles pending promise callbacks (a few rounds: grants chain through several awaits). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('fair turns', () => {
  test('an owner alone never waits', async () => {
    const turns = new FairTurns();
    for (let i = 0; i < 100; i++) (await turns.take('a', never))(done);
  });

  test('owners waiting get the turn round-robin, and one asking again queues behind them', async () => {
    const turns = new FairTurns();
    const granted: string[] = [];
    const take = (owner: string) =>
      turns.take(owner, never).then((giveBack) => {
        granted.push(owner);
        return giveBack;
      });
    const a = await take('a');
    const b = take('b');
    const c = take('c');
    const again = take('a'); // while a still holds it
    await settle();
    expect(granted).toEqual(['a']);
    a(done);
    (await b)(done);
    (await c)(done);
    (await again)(done);
    expect(granted).toEqual(['a', 'b', 'c', 'a']);
  });

  test("the turn passes to another owner only once the previous owner's embeddings have settled", async () => {
    const turns = new FairTurns();
    const embedding = deferred();
    (await turns.take('a', never))(embedding.promise);
    let granted = false;
    const b = turns.take('b', never).then((giveBack) => {
      granted = true;
      return giveBack;
    });
    await settle();
    expect(granted).toBe(false);
    embedding.resolve();
    (await b)(done);
    expect(granted).toBe(true);
  });

  test('an owner does not wait for its own embeddings, nor for ones that failed', async () => {
    const turns = new FairTurns();
    (await turns.take('a', never))(deferred().promise); // never settles
    (await turns.take('a', never))(Promise.reject(new Error('the embedder failed')));
    await settle();
  });

  test('aborting a wait gives it up, and the turn goes on to the next owner', async () => {
    const turns = new FairTurns();
    const giveBackA = await turns.take('a', never);
    const stop = new AbortController();
    const b = turns.take('b', stop.signal);
    const c = turns.take('c', never);
    stop.abort(new Error('forgotten'));
    await expect(b).rejects.toThrow('forgotten');
    giveBackA(done);
    (await c)(done);
    (await turns.take('d', never))(done);
  });
});
