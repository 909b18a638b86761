/** Untrusted parsing in worker threads: a document that exhausts time or memory costs its own job, not the service. */
import { afterAll, describe, expect, test } from 'vitest';
import { parseBytes, type ParseJob } from '../../ingest/index.js';
import { ParseSandbox } from '../../src/engine/parse-sandbox.js';

const OPTIONS = { maxFileBytes: 256 * 1024 * 1024, maxMessageBytes: 64 * 1024 * 1024, maxDepth: 3 };
const job = (name: string, text: string | Uint8Array): ParseJob => ({
  bytes: typeof text === 'string' ? new TextEncoder().encode(text) : text,
  name,
  source: name,
  format: name.endsWith('.csv') ? 'csv' : 'txt',
  options: OPTIONS,
});
const all = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('parse sandbox', () => {
  const sandbox = new ParseSandbox({ workers: 1, timeoutMs: 20_000, maxHeapMb: 96 });
  afterAll(() => sandbox.close());

  test('a worker parses exactly what the in-process parser does', async () => {
    const j = job('note.txt', 'Blood pressure 128/82 on Monday.\n\nNext check in two weeks.');
    expect(await all(sandbox.parse(j))).toEqual(await all(parseBytes(j)));
  });

  test('a document that needs more memory than the limit fails alone, and the next one parses', async () => {
    // ~6 million short CSV rows: the parser's row objects outgrow a 96 MB heap long before they are done.
    const rows = 'a,b,c\n' + '1,2,3\n'.repeat(6_000_000);
    const [outcome] = await all(sandbox.parse(job('huge.csv', rows)));
    expect(outcome).toMatchObject({ ok: false, source: 'huge.csv', code: 'parse_resource_limit' });
    const [next] = await all(sandbox.parse(job('ok.txt', 'Still here.')));
    expect(next).toMatchObject({ ok: true });
  }, 60_000);

  test('a document that takes longer than the limit fails alone with parse_timeout', async () => {
    const slow = new ParseSandbox({ workers: 1, timeoutMs: 1, maxHeapMb: 256 });
    try {
      const [outcome] = await all(slow.parse(job('slow.csv', 'a,b\n' + '1,2\n'.repeat(200_000))));
      expect(outcome).toMatchObject({ ok: false, code: 'parse_timeout', message: expect.stringContaining('1 ms') });
    } finally {
      await slow.close();
    }
  });

  test('jobs queue behind busy workers and all complete', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => all(sandbox.parse(job(`n${i}.txt`, `Note ${i}.`)))),
    );
    expect(results.map((r) => r[0]?.ok)).toEqual(Array(12).fill(true));
  });
});
