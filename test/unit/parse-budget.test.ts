/** An upload's parse-time budget in the parse sandbox (withParseBudget): past it, the upload stops as a whole. */
import { afterAll, describe, expect, test } from 'vitest';
import { SourceAborted, type ParseJob } from '../../ingest/index.js';
import { ParseSandbox, withParseBudget } from '../../src/engine/parse-sandbox.js';
import { PragError } from '../../src/errors.js';

const OPTIONS = { maxFileBytes: 256 * 1024 * 1024, maxMessageBytes: 64 * 1024 * 1024, maxDepth: 3 };
const job = (name: string, text: string): ParseJob => ({
  bytes: new TextEncoder().encode(text),
  name,
  source: name,
  format: name.endsWith('.csv') ? 'csv' : 'txt',
  options: OPTIONS,
});
/** Takes a worker well over a second: several times the tight budget below. */
const slow = () => job('slow.csv', `a,b\n${'1,2\n'.repeat(400_000)}`);
const quick = () => job('note.txt', 'Blood pressure 128/82.');

const all = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

/** The error an upload past its budget fails with. */
async function budgetError(work: Promise<unknown>): Promise<PragError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceAborted); // it stops the whole ingest, not one file
  const cause = (error as SourceAborted).cause;
  expect(cause).toBeInstanceOf(PragError);
  return cause as PragError;
}

describe('parse budget', () => {
  const tight = new ParseSandbox({ workers: 1, timeoutMs: 60_000, maxHeapMb: 512, uploadBudgetMs: 250 });
  const roomy = new ParseSandbox({ workers: 1, timeoutMs: 60_000, maxHeapMb: 512, uploadBudgetMs: 60_000 });
  afterAll(async () => {
    await tight.close();
    await roomy.close();
  });

  test('jobs within the budget parse as they would without one', async () => {
    const [outcome] = await withParseBudget(() => all(roomy.parse(slow())));
    expect(outcome).toMatchObject({ ok: true });
  });

  test('a job that runs past what is left is stopped, and the upload fails with parse_budget_exceeded', async () => {
    const error = await budgetError(withParseBudget(() => all(tight.parse(slow()))));
    expect(error.code).toBe('parse_budget_exceeded');
    // Its worker was replaced (a new one boots, on this job's clock): the next job, outside any upload, parses.
    expect((await all(tight.parse(quick())))[0]).toMatchObject({ ok: true });
  });

  test('once the budget is spent, the upload parses nothing more', async () => {
    await withParseBudget(async () => {
      await budgetError(all(tight.parse(slow())));
      expect((await budgetError(all(tight.parse(quick())))).code).toBe('parse_budget_exceeded');
    });
  });

  test('each upload has its own budget, and parsing outside one has none', async () => {
    await budgetError(withParseBudget(() => all(tight.parse(slow()))));
    expect((await all(tight.parse(slow())))[0]).toMatchObject({ ok: true }); // (and the new worker has booted)
    expect((await withParseBudget(() => all(tight.parse(quick()))))[0]).toMatchObject({ ok: true });
  });
});
